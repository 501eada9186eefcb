"""The audit trail's two append-only tables: entries (one hash chain per aggregate) and seal blocks.

Why chains per aggregate: a single global chain would make every write in the portal wait for the
previous one to commit. Each aggregate ("catalogue.item:42") has its own chain instead, so only
writers touching the same thing queue behind each other. The seal blocks then tie all chains
together periodically: each block covers a contiguous range of entry ids, records every touched
chain's head and links to the previous block by hash; the newest block's hash is signed into a
file outside the database.

Nothing here is ever updated or deleted. The models refuse it, a PostgreSQL trigger refuses it,
and in production the application's database role is not granted it (``audit_grants``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.audit import hashing


class AppendOnlyError(Exception):
    """Someone tried to change or delete an audit row through the ORM."""


class AppendOnlyQuerySet(models.QuerySet):
    """Reading is free; bulk changes would bypass hashing and are refused outright."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are never updated")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are never deleted")

    def bulk_create(self, *args, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are written by portal.audit.services, which hashes them")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are never updated")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are never updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are never deleted")


class AuditEntry(AppendOnlyModel):
    """One thing that happened: who, when, from where, to what, and which fields changed how.

    The actor is a snapshot (id as a plain integer, name and roles as they were) so the entry
    still says who acted after that user is deleted or renamed. ``seq`` and ``prev_hash`` link
    the entry to its chain's previous entry; ``entry_hash`` covers every content field.
    """

    chain = models.CharField(_("链"), max_length=200)
    seq = models.PositiveBigIntegerField(_("链内序号"))
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    entry_hash = models.CharField(_("本条哈希"), max_length=64, unique=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    event_type = models.CharField(_("事件类型"), max_length=100)

    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True)
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    actor_display_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    actor_roles = models.JSONField(_("操作人角色"), default=list)

    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    remote_address = models.CharField(_("来源地址"), max_length=45, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, blank=True)

    target_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_repr = models.CharField(_("对象名称"), max_length=200, blank=True)

    # {field: [old, new]}; the values of the fields named in personal_fields are Fernet tokens.
    changes = models.JSONField(_("字段变更"), default=dict)
    personal_fields = models.JSONField(_("加密的个人信息字段"), default=list)
    data = models.JSONField(_("附加数据"), default=dict)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-id"]
        constraints = [
            # The last line of defence against a fork: two writers can never both get seq n.
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_entry_unique_seq_per_chain"),
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_entry_target"),
            models.Index(fields=["actor_id", "occurred_at"], name="audit_entry_actor"),
            models.Index(fields=["event_type", "occurred_at"], name="audit_entry_event_type"),
            models.Index(fields=["occurred_at"], name="audit_entry_occurred_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.chain}#{self.seq}"

    def compute_hash(self) -> str:
        return hashing.entry_hash(self.__dict__)

    @property
    def actor_label(self) -> str:
        if self.actor_id is None and not self.actor_username:
            return self.actor_display_name or str(_("系统"))
        return f"{self.actor_display_name} ({self.actor_username})"


class SealBlock(AppendOnlyModel):
    """A periodic seal over every entry with after_entry_id < id <= through_entry_id.

    ``chain_heads`` maps each chain touched in the range to [first seq, last seq, last hash], so
    a verifier knows exactly which entries must exist in the range, and which hash each chain
    had reached. The newest block's hash is signed into a file outside the database.
    """

    number = models.PositiveBigIntegerField(_("块号"), unique=True)
    after_entry_id = models.BigIntegerField(_("起始记录（不含）"))
    through_entry_id = models.BigIntegerField(_("截止记录（含）"))
    entry_count = models.PositiveBigIntegerField(_("记录数"))
    chain_heads = models.JSONField(_("各链头"), default=dict)
    sealed_at = models.DateTimeField(_("封存时间"))
    previous_block_hash = models.CharField(_("前一块哈希"), max_length=64)
    block_hash = models.CharField(_("块哈希"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("封存块")
        verbose_name_plural = _("封存块")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"#{self.number} ({self.after_entry_id}, {self.through_entry_id}]"

    def compute_hash(self) -> str:
        return hashing.block_hash(self.__dict__)
