"""Which notifier serves each channel: Twilio (SMS, voice) and SMTP when configured, else the console."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.console import ConsoleNotifier
from adapters.smtp_email import SmtpEmailSender
from adapters.twilio_sms import TwilioSmsSender
from adapters.twilio_voice import TwilioVoiceCaller
from bot.settings import Settings
from domain.delivery_ports import Notifier
from domain.events import Event
from domain.model import Catalog, Channel, IncidentId, PersonId
from domain.ports import Clock, UnitOfWorkFactory
from domain.voice_calls import callee


def channel_notifiers(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, catalog: Catalog | None = None
) -> dict[Channel, Notifier]:
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
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from:
        notifiers[Channel.VOICE] = _voice(settings, catalog or Catalog())
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


def _voice(settings: Settings, catalog: Catalog) -> TwilioVoiceCaller:
    """Calls from TWILIO_FROM (a messaging service cannot call); only the person owning a number acts."""
    assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from

    def person_called(phone: str) -> PersonId | None:
        person = callee(catalog, phone)
        return person.id if person else None

    return TwilioVoiceCaller(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        from_number=settings.twilio_from,
        callee=person_called,
        api_url=settings.twilio_api_url,
        public_url=settings.public_url,
        language=settings.voice_language,
    )
