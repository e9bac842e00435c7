"""Which notifier serves each channel: Twilio and SMTP when they are configured, else the console."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.console import ConsoleNotifier
from adapters.smtp_email import SmtpEmailSender
from adapters.twilio_sms import TwilioSmsSender
from bot.settings import Settings
from domain.delivery_ports import Notifier
from domain.events import Event
from domain.model import Channel, IncidentId
from domain.ports import Clock, UnitOfWorkFactory


def channel_notifiers(settings: Settings, uow: UnitOfWorkFactory, clock: Clock) -> dict[Channel, Notifier]:
    def timeline(incident_id: IncidentId) -> Sequence[Event]:
        with uow() as work:
            return work.timeline.of(incident_id)

    notifiers: dict[Channel, Notifier] = {channel: ConsoleNotifier(channel) for channel in Channel}
    if settings.twilio_account_sid and settings.twilio_auth_token:
        notifiers[Channel.SMS] = TwilioSmsSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            from_number=settings.twilio_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_url=settings.twilio_api_url,
            public_url=settings.public_url,
        )
    if settings.smtp_host and settings.smtp_from:
        notifiers[Channel.EMAIL] = SmtpEmailSender(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeline=timeline,
            clock=clock,
        )
    return notifiers
