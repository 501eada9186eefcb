"""Shared tables of the portal itself (not of any one domain app).

``IdempotentRequest`` remembers the answer to every creating API call that carried an
``Idempotency-Key`` header (DOMAIN.md §10: data sent by departments' systems is accepted
idempotently). Written only by ``portal.idempotency``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_MAX_LENGTH = 255


class IdempotentRequest(models.Model):
    """One creating call, by one caller, under one idempotency key, and the answer it got.

    Why a row and not a cache entry: the row is inserted first, inside the transaction that does
    the work, so the unique constraint on (user, key) makes a concurrent duplicate wait for that
    transaction and then see its answer; and the row exists if and only if the work committed.
    The answer (``response_status`` and ``response_body``) is filled in before the commit, so a
    committed row always carries one.
    """

    key = models.CharField(_("幂等键"), max_length=KEY_MAX_LENGTH)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("调用方"), on_delete=models.CASCADE, related_name="+"
    )
    method = models.CharField(_("请求方法"), max_length=10)
    path = models.CharField(_("请求路径"), max_length=255)
    request_hash = models.CharField(_("请求体摘要（SHA-256）"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_body = models.JSONField(_("响应内容"), null=True, blank=True)
    created_at = models.DateTimeField(_("首次请求时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
