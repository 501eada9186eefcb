"""Channels a notification reaches people through, with Chinese labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


# Channels delivered outside the portal, through the outbox (the inbox row is written directly).
EXTERNAL_CHANNELS = (Channel.EMAIL, Channel.SMS)
