"""The composition root: the one place where the pager is wired to its adapters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import Engine

from adapters.apscheduler_wakeups import ApschedulerWakeUps
from adapters.clock import SystemClock
from adapters.db import SqlAlchemyUnitOfWork, make_engine, upgrade
from adapters.db.gauges import SqlGauges
from adapters.db.inbound_log import SqlInboundMessageLog
from adapters.db.leadership import Leadership, PostgresLeaderElector, SoleLeader
from adapters.logged_notifier import LoggedNotifier
from adapters.outbox_relay import ThreadedOutboxRelay
from adapters.prometheus_heartbeats import heartbeat_gauges
from adapters.prometheus_maintenance import maintenance_gauges
from adapters.prometheus_metrics import PrometheusMetrics
from bot.config import PagerConfig, load_config
from bot.intake import AlertIntake
from bot.settings import Settings
from bot.wiring.channels import channel_notifiers
from bot.wiring.slack import SlackParts, attach_bolt_app, wire_slack
from domain.delivery_ports import Notifier
from domain.dispatch import Dispatcher, DispatchPolicy
from domain.fallthrough import DeliveryReports
from domain.model import Channel
from domain.pager import Pager
from domain.ports import Clock, UnitOfWorkFactory, WakeUps
from domain.queries import Queries
from domain.sms_replies import SmsReplies
from domain.voice_calls import VoiceCalls


@dataclass
class Runtime:
    """Everything a running pager is made of; `start` brings the background workers up."""

    settings: Settings
    config: PagerConfig
    engine: Engine
    pager: Pager
    queries: Queries
    dispatcher: Dispatcher
    wakeups: WakeUps
    relay: ThreadedOutboxRelay
    intake: AlertIntake
    clock: Clock | None = None
    sms_replies: SmsReplies | None = None
    deliveries: DeliveryReports | None = None
    voice_calls: VoiceCalls | None = None
    slack: SlackParts | None = None
    metrics: PrometheusMetrics = field(default_factory=PrometheusMetrics)
    leadership: Leadership | None = None
    # The wake-ups and engine worker built from settings; None when a test passed wake-ups of its own.
    scheduler: ApschedulerWakeUps | None = None

    def start(self) -> None:
        self.pager.maintenance.declare(self.config.maintenance)  # once per window, whoever starts first
        if self.scheduler is not None:
            self.scheduler.start(self.pager.engine.run_due)
            self.pager.engine.rearm()  # stored wake-ups may have been lost: ask again for every deadline
        self.relay.start()
        if self.slack is not None:
            self.slack.relay.start()
            if self.slack.socket is not None:
                self.slack.socket.start()

    def stop(self) -> None:
        self.intake.stop()  # answers every alert already taken before the rest stops
        if self.slack is not None and self.slack.socket is not None:
            self.slack.socket.stop()  # clicks being handled finish; no new ones come in
        if self.slack is not None:
            self.slack.relay.stop()
        self.relay.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        self.engine.dispose()


def bootstrap(
    settings: Settings,
    *,
    config: PagerConfig | None = None,
    clock: Clock | None = None,
    wakeups: WakeUps | None = None,
    notifiers: Mapping[Channel, Notifier] | None = None,
    migrate: bool = True,
) -> Runtime:
    """Build the pager from settings; tests pass fakes for the clock, the wake-ups and any notifier."""
    config = config or load_config(settings.config_path)
    engine = _database(settings, migrate)
    clock = clock or SystemClock()
    uow = partial(SqlAlchemyUnitOfWork, engine)
    slack = wire_slack(settings, config.catalog, engine, uow, clock)
    metrics = _metrics(engine)
    chosen = _notifiers(settings, config, uow, clock, slack, notifiers)
    dispatcher = _dispatcher(settings, config, uow, clock, metrics, chosen)
    at_once = _sends_at_once(settings, engine)
    relay = ThreadedOutboxRelay(dispatcher, clock, channels=chosen, sends_at_once=at_once)
    leadership, sweep = _leadership(engine), settings.sweep_interval
    scheduler = None
    if wakeups is None:
        wakeups = scheduler = ApschedulerWakeUps(engine, clock, leadership=leadership, sweep_interval=sweep)
    pager = Pager(
        config.catalog, uow, clock, wakeups,
        doorbell=relay, observer=slack.updater if slack else None, metrics=metrics,
    )  # fmt: skip
    queries = Queries(config.catalog, uow)
    _watch(metrics, pager)
    if slack is not None:
        attach_bolt_app(slack, settings, pager, queries, clock, metrics.slack_socket_reconnected)
    deliveries = DeliveryReports(config.catalog, uow, clock, doorbell=relay)
    inbound = SqlInboundMessageLog(engine)
    return Runtime(
        settings, config, engine, pager, queries, dispatcher, wakeups, relay, AlertIntake(pager),
        clock=clock, slack=slack, metrics=metrics, leadership=leadership, scheduler=scheduler,
        sms_replies=SmsReplies(config.catalog, pager, uow, clock, inbound), deliveries=deliveries,
        voice_calls=VoiceCalls(config.catalog, pager, uow, clock, inbound, deliveries),
    )  # fmt: skip


def _metrics(engine: Engine) -> PrometheusMetrics:
    metrics = PrometheusMetrics()
    metrics.read_at_scrape(SqlGauges(engine).read)
    return metrics


def _watch(metrics: PrometheusMetrics, pager: Pager) -> None:
    """The gauges read from the pager's maintenance windows and heartbeats at each scrape."""
    metrics.registry.register(maintenance_gauges(pager.maintenance.counts))
    metrics.registry.register(heartbeat_gauges(pager.heartbeats.counts))


def _database(settings: Settings, migrate: bool) -> Engine:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return engine


def _notifiers(
    settings: Settings,
    config: PagerConfig,
    uow: UnitOfWorkFactory,
    clock: Clock,
    slack: SlackParts | None,
    given: Mapping[Channel, Notifier] | None,
) -> dict[Channel, Notifier]:
    """Each channel's notifier (the console's until its provider is configured), its failures logged."""
    chosen = {
        **channel_notifiers(settings, uow, clock, config.catalog),
        **({Channel.SLACK: slack.notifier} if slack else {}),
        **(given or {}),
    }
    return {channel: LoggedNotifier(channel, notifier) for channel, notifier in chosen.items()}


def _dispatcher(
    settings: Settings,
    config: PagerConfig,
    uow: UnitOfWorkFactory,
    clock: Clock,
    metrics: PrometheusMetrics,
    notifiers: Mapping[Channel, Notifier],
) -> Dispatcher:
    policy = DispatchPolicy(
        bundle_window=settings.bundle_window,
        lease=settings.outbox_lease,
        delivery_deadline=settings.delivery_deadline,
    )
    return Dispatcher(config.catalog, uow, notifiers, clock, policy, metrics=metrics)


def _leadership(engine: Engine) -> Leadership:
    """Election among replicas on PostgreSQL; on SQLite the single process (its file lock says so) leads."""
    return PostgresLeaderElector(engine) if engine.dialect.name == "postgresql" else SoleLeader()


def _sends_at_once(settings: Settings, engine: Engine) -> int:
    """As set, else 8 on PostgreSQL and 2 on SQLite: there every sender's record of its page waits for the one
    writer, and under load eight of them starved one another in SQLite's busy wait for seconds, which is how
    long a crash could then leave a sent page unrecorded (and resent); one alone fell seconds behind 10,000
    deadlines a minute when other work shared the cores, while two overlap one's request to the provider
    with the other's record (BENCHMARKS.md)."""
    if settings.sends_per_channel is not None:
        return settings.sends_per_channel
    return 2 if engine.dialect.name == "sqlite" else 8
