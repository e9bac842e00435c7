"""Channel settings from the environment, and which notifier each channel gets."""

from __future__ import annotations

import pytest

from adapters.console import ConsoleNotifier
from adapters.smtp_email import SmtpEmailSender
from adapters.twilio_sms import TwilioSmsSender
from bot.settings import Settings, SettingsError
from bot.wiring.channels import channel_notifiers
from domain.model import Channel
from tests.fakes import FakeClock, InMemoryUnitOfWork, MemoryStore

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "secret-token",
    "TWILIO_FROM": "+15005550006",
}
SMTP = {"SMTP_HOST": "mail.example.com", "SMTP_FROM": "pager@example.com"}


def no_database() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(MemoryStore())


def test_without_provider_settings_every_channel_logs_to_the_console() -> None:
    notifiers = channel_notifiers(Settings.from_env({}), no_database, FakeClock())

    assert all(isinstance(n, ConsoleNotifier) for n in notifiers.values())


def test_twilio_settings_give_sms_to_twilio() -> None:
    notifiers = channel_notifiers(Settings.from_env(TWILIO), no_database, FakeClock())

    assert isinstance(notifiers[Channel.SMS], TwilioSmsSender)


def test_smtp_settings_give_email_to_smtp() -> None:
    notifiers = channel_notifiers(Settings.from_env(SMTP), no_database, FakeClock())

    assert isinstance(notifiers[Channel.EMAIL], SmtpEmailSender)


def test_twilio_without_a_sender_number_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        Settings.from_env({k: v for k, v in TWILIO.items() if k != "TWILIO_FROM"})


def test_smtp_host_without_from_address_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="SMTP_FROM"):
        Settings.from_env({"SMTP_HOST": "mail.example.com"})


def test_bad_smtp_port_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="SMTP_PORT"):
        Settings.from_env(SMTP | {"SMTP_PORT": "smtp"})


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = Settings.from_env(TWILIO | SMTP | {"SMTP_PASSWORD": "mail-password"})

    assert ("secret-token" in repr(settings), "mail-password" in repr(settings)) == (False, False)


def test_public_url_loses_its_trailing_slash() -> None:
    assert Settings.from_env({"PAGER_PUBLIC_URL": "https://pager.example.com/"}).public_url == (
        "https://pager.example.com"
    )


@pytest.mark.parametrize(
    "url", ["pager.example.com", "ftp://pager.example.com", "https://", "https://x.io/?a=1"]
)
def test_a_public_url_that_is_not_a_base_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(SettingsError, match="PAGER_PUBLIC_URL: expected the base URL"):
        Settings.from_env({"PAGER_PUBLIC_URL": url})
