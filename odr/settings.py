"""The one typed settings object.

Read once at the edge (CLI, ASGI factory) from ``ODR_*`` environment variables
and an optional ``.env``; everything else receives it as an argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "odr-development-secret-change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ODR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")

    # Storage engines. Empty means the embedded default under ``var_dir``.
    database_url: str = ""
    redis_url: str = ""
    storage_url: str = ""  # e.g. s3://bucket/prefix ; empty = local files under var/
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")

    # Secrets. The development defaults are refused in production (see ``check``).
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    field_encryption_key: SecretStr = SecretStr("")  # base64 32 bytes; derived from secret_key if empty
    lookup_hash_key: SecretStr = SecretStr("")

    # HTTP
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = False
    session_ttl_hours: int = 12
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 50_000_000
    frontend_dist: Path = Path("frontend/dist")

    # Accounts
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_minutes: int = 15
    otp_ttl_minutes: int = 5
    otp_max_attempts: int = 5
    otp_resend_seconds: int = 60  # one code per mobile per this many seconds
    otp_max_per_day: int = 10  # codes per mobile in any 24 hours
    require_strong_identity_for_signing: bool = False

    # Audit
    audit_anchor_path: Path | None = None  # default var/audit-anchor.log
    audit_anchor_interval_seconds: int = 60

    # Workers
    worker_heartbeat_seconds: int = 10
    worker_stale_after_seconds: int = 45
    outbox_batch_size: int = 50
    outbox_max_attempts: int = 8
    outbox_lease_seconds: int = 60
    outbox_drain_interval_seconds: float = 5.0  # beat's catch-up drain (a lost wake-up)
    live_event_retention_seconds: int = 600
    worker_concurrency: int = 2
    # Modules a worker imports besides odr's own handler modules (e.g. test handlers).
    extra_task_modules: list[str] = Field(default_factory=list)

    # Notifications
    notify_channels: list[str] = Field(default_factory=lambda: ["console", "database"])
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "odr@localhost"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    notify_timeout_seconds: float = 10.0  # SMTP and SMS gateway calls
    sms_gateway_url: str = ""
    sms_gateway_key: SecretStr = SecretStr("")

    # Cases: respondents (L8). The reply period is counted in days (L36); the
    # invitation link's look-ups are throttled per address against guessing.
    respondent_reply_days: int = 7
    invitation_max_failures_per_address: int = 10
    invitation_failure_window_minutes: int = 15

    # Cases: messages and complaints (odr.cases.messages). Reply periods are counted in
    # working days (L36); a complaint repeating one on the same matter within the window
    # (or while that one is unanswered) is flagged for supervision. The progress query
    # (L3) is throttled with the sign-in limits (login_max_failures_per_account per case
    # number, login_max_failures_per_address, login_window_minutes).
    message_reply_working_days: int = 2
    complaint_reply_working_days: int = 5
    complaint_repeat_window_days: int = 90

    # Cases: legal clocks (odr.cases.deadlines). A self-filed or walk-in case has no
    # statutory mediation period; the institution's applies (L13), counted by L36.
    institution_mediation_period_days: int = Field(default=30, ge=1, le=365)

    # Electronic service (odr.eservice): the receipt PDF embeds this TrueType CJK font
    # (reportlab cannot embed CFF-based OpenType such as Noto Sans CJK); index 0 of the .ttc.
    pdf_cjk_font_path: Path = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

    # Agreements (agreements/). Signing needs a re-authenticated session (password or
    # code) no older than this, plus a one-time code to the signer's verified mobile.
    agreement_reauth_seconds: int = Field(default=300, ge=30, le=3600)
    # PKI for signed PDFs: a development CA (root, institutions', courts' and the TSA's
    # certificates) is generated here by ``odr seed-demo`` when no production keys are
    # configured; production points agreement_signing_dir at its own keys (see README).
    agreement_pki_dir: Path | None = None  # default var/pki
    agreement_signing_dir: Path | None = None  # production: <code>.key.pem + <code>.chain.pem
    agreement_signing_key_password: SecretStr = SecretStr("")
    # RFC 3161 timestamp authority; empty: the local development authority.
    agreement_tsa_url: str = ""
    # The public verification page printed (as a QR code) on every signed PDF is under
    # public_base_url (above).
    # Judicial confirmation (L22): a claim at or above this (fen) goes to the
    # intermediate court rather than a basic court.
    intermediate_court_threshold_fen: int = Field(default=5_000_000_000, ge=0)
    # Sham-mediation warnings for the judge (OMR 23): an agreed sum at or above this (fen)
    # that took effect within this many minutes of filing is flagged.
    confirmation_warning_sum_fen: int = Field(default=100_000_000, ge=0)
    confirmation_warning_minutes: int = Field(default=60, ge=1, le=10_080)
    # Performance of agreed terms: parties are reminded this many days before a due date.
    performance_reminder_days: int = Field(default=3, ge=0, le=60)

    # Mediators (mediators/): the batch that assigns every case still waiting for a
    # mediator runs daily at this hour, Asia/Shanghai (-1: never; staff can run it by hand).
    assignment_batch_hour: int = Field(default=17, ge=-1, le=23)

    # Meetings and live rooms (odr.meetings, signaling). A room token is good for one
    # connect within its lifetime; a dropped participant back within the grace period
    # keeps its seat (no second lobby). Each connection may send so many events per
    # second (burst allowed up to the same number) before its events are refused.
    room_token_ttl_seconds: int = Field(default=300, ge=10, le=86_400)
    room_reconnect_grace_seconds: int = Field(default=60, ge=1, le=3_600)
    room_events_per_second: float = Field(default=20.0, gt=0)
    room_event_burst: int = Field(default=40, ge=1)
    media_node_heartbeat_seconds: int = Field(default=5, ge=1)
    media_node_dead_after_seconds: int = Field(default=20, ge=2)

    # ICE servers for WebRTC (odr.rtc.ice): STUN, and TURN with time-limited REST
    # credentials (coturn's ``use-auth-secret``: username "<expiry unix time>:<user>",
    # password base64(HMAC-SHA1(secret, username))). Empty URL lists mean the embedded
    # coturn that ``odr serve`` starts on 127.0.0.1:turn_port when ``turnserver`` is
    # installed and turn_embedded is on; production lists its coturn, e.g.
    # ["turn:turn.example.org:3478?transport=udp", "turn:turn.example.org:3478?transport=tcp",
    #  "turns:turn.example.org:443?transport=tcp"]. The secret comes only from the
    # environment (ODR_TURN_SECRET, the same as coturn's static-auth-secret); empty = one
    # generated once under var_dir (the embedded default). A credential outlives the
    # meeting (coturn refuses refreshes after the expiry), so the lifetime is long.
    stun_urls: list[str] = Field(default_factory=list)
    turn_urls: list[str] = Field(default_factory=list)
    turn_secret: SecretStr = SecretStr("")
    turn_credential_ttl_seconds: int = Field(default=43_200, ge=60, le=7 * 86_400)
    turn_realm: str = "odr.local"
    turn_embedded: bool = True
    turn_port: int = Field(default=3478, ge=1, le=65_535)
    turn_relay_min_port: int = Field(default=49_152, ge=1024, le=65_535)
    turn_relay_max_port: int = Field(default=49_251, ge=1024, le=65_535)
    turnserver_path: str = "turnserver"

    # Media nodes (media/, ``odr media``): the node's name and credential (registered with
    # ``odr media-node add NAME``; ``odr serve`` registers and starts one itself when
    # media_embedded is on), the signaling URL it joins (empty: public_base_url), and the
    # local addresses or interfaces it offers as ICE host candidates (empty: aioice's own
    # choice, every interface but loopback; the embedded default offers 127.0.0.1).
    media_node_id: str = "local-media"
    media_node_credential: SecretStr = SecretStr("")
    media_signaling_url: str = ""
    media_host_addresses: list[str] = Field(default_factory=list)
    media_embedded: bool = True
    # Recording (media/recording, odr/meetings/recordings): each seat's audio+video is
    # written in WebM segments of this length (a crash loses at most the open one), spooled
    # under var_dir/recordings until closed, then moved to the blob store. ffmpeg composes
    # the playback file (the only decode/encode), with a drawtext time overlay for hearings.
    recording_segment_seconds: float = Field(default=10.0, gt=0, le=600)
    ffmpeg_path: str = "ffmpeg"

    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"  # JSON lines on stderr; INFO includes one access line per request

    @field_validator("audit_anchor_path", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("stun_urls", "turn_urls")
    @classmethod
    def _ice_urls(cls, urls: list[str], info: ValidationInfo) -> list[str]:
        schemes = ("stun:", "stuns:") if info.field_name == "stun_urls" else ("turn:", "turns:")
        for url in urls:
            if not url.startswith(schemes) or any(c.isspace() for c in url):
                raise ValueError(f"{url!r} is not a {' or '.join(schemes)} URL (RFC 7064/7065)")
        return urls

    # ---- derived values -------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'odr.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def celery_broker_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"sqla+sqlite:///{(self.var_dir / 'broker.sqlite3').resolve()}"

    @property
    def celery_result_backend(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"db+sqlite:///{(self.var_dir / 'celery-results.sqlite3').resolve()}"

    @property
    def resolved_audit_anchor_path(self) -> Path:
        return self.audit_anchor_path or (self.var_dir / "audit-anchor.log")

    @property
    def pki_dir(self) -> Path:
        return self.agreement_pki_dir or (self.var_dir / "pki")

    @property
    def files_dir(self) -> Path:
        return self.var_dir / "files"

    @property
    def ice_stun_urls(self) -> list[str]:
        """STUN URLs given to WebRTC peers (the embedded coturn's when none are set)."""
        if self.stun_urls or self.turn_urls or not self.turn_embedded:
            return list(self.stun_urls)
        return [f"stun:127.0.0.1:{self.turn_port}"]

    @property
    def ice_turn_urls(self) -> list[str]:
        """TURN URLs given to WebRTC peers (the embedded coturn's when none are set)."""
        if self.turn_urls or not self.turn_embedded:
            return list(self.turn_urls)
        return [f"turn:127.0.0.1:{self.turn_port}?transport=udp",
                f"turn:127.0.0.1:{self.turn_port}?transport=tcp"]

    def check(self) -> None:
        """Refuse unsafe production configurations at start-up."""
        if self.environment == "production":
            if self.secret_key.get_secret_value() == DEV_SECRET:
                raise ValueError("ODR_SECRET_KEY must be set in production")
            if not self.cookie_secure:
                raise ValueError("ODR_COOKIE_SECURE must be true in production (HTTPS)")
            if "console" in self.notify_channels:
                raise ValueError(
                    "ODR_NOTIFY_CHANNELS must not include console in production: "
                    "one-time codes would go to a log instead of the person"
                )
            if self.turn_urls and not self.turn_secret.get_secret_value():
                raise ValueError(
                    "ODR_TURN_SECRET must be set in production when ODR_TURN_URLS are: "
                    "the same value as coturn's static-auth-secret"
                )

    def ensure_dirs(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.files_dir.mkdir(parents=True, exist_ok=True)
