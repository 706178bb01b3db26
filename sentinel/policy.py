"""Judge what was sent against each sub-processor's policy.

Input: an event tied to a sub-processor (or not), the findings in its request, its
TLS facts. Output: violations, each naming the rule that was broken. Pure logic:
the caller decides what to do with them (alerts in the daemon, an exit code in
`sentinel scan`).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass

from detectors.pii.fieldpaths import globs_regex, normalise_indices
from sentinel.config.registry import EndpointPolicy, Policy, Registry
from sentinel.registry import Match, ignored_destinations

SEVERITY_ORDER = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

# Credentials a client must send to the API it calls: a secret in one of these,
# going to a known sub-processor, is authentication, not a leak.
AUTH_FIELDS = frozenset({
    "header.authorization", "header.proxy-authorization", "header.x-api-key", "header.api-key", "header.apikey",
    "header.x-auth-token", "header.dd-api-key", "header.x-postmark-server-token", "header.x-goog-api-key",
    "header.anthropic-api-key", "header.x-sentry-auth", "query.api_key", "query.apikey", "query.key",
    "query.access_token", "query.sentry_key", "form.token", "header.openai-organization",
})

# Who issued a secret, by the subtype its detector names (detectors/pii/secrets.py and
# recognizers/secret.py): the registrable domains of the issuer's API. In an auth field, a
# secret is the sub-processor's own credential only on its way to its issuer: a Stripe key
# in Segment's Authorization header is a leak. Subtypes not listed here (bearer_token,
# basic_auth, jwt, generic_high_entropy, password, vault_token, private_key, ...) name no
# issuer and keep the field rule alone. Kept here, not in detectors: the detectors say what
# a value is; where it may go is policy.
SECRET_ISSUERS: dict[str, tuple[str, ...]] = {
    "aws_access_key": ("amazonaws.com", "aws.amazon.com"),
    "aws_secret_access_key": ("amazonaws.com", "aws.amazon.com"),
    "gcp_api_key": ("googleapis.com", "google.com"),
    "google_oauth_client_secret": ("googleapis.com", "google.com"),
    "github_token": ("github.com", "githubusercontent.com"),
    "gitlab_token": ("gitlab.com",),
    "slack_token": ("slack.com",),
    "slack_webhook": ("slack.com",),
    "discord_webhook": ("discord.com", "discordapp.com"),
    "stripe_secret_key": ("stripe.com",),
    "stripe_webhook_secret": ("stripe.com",),
    "twilio_api_key": ("twilio.com",),
    "sendgrid_api_key": ("sendgrid.com", "sendgrid.net"),
    "mailgun_api_key": ("mailgun.net", "mailgun.org"),
    "openai_api_key": ("openai.com",),
    "anthropic_api_key": ("anthropic.com",),
    "npm_token": ("npmjs.org", "npmjs.com"),
    "pypi_token": ("pypi.org",),
    "shopify_token": ("myshopify.com", "shopify.com"),
    "square_token": ("squareup.com", "squareupsandbox.com"),
    "datadog_api_key": ("datadoghq.com", "datadoghq.eu", "ddog-gov.com"),
    "huggingface_token": ("huggingface.co",),
    "groq_api_key": ("groq.com",),
    "replicate_api_token": ("replicate.com",),
    "azure_storage_key": ("windows.net",),
    "telegram_bot_token": ("telegram.org",),
    "digitalocean_token": ("digitalocean.com",),
    "databricks_token": ("databricks.com", "azuredatabricks.net", "gcp.databricks.com"),
    "linear_api_key": ("linear.app",),
    "new_relic_key": ("newrelic.com", "nr-data.net"),
    "sentry_auth_token": ("sentry.io",),
    "mailchimp_api_key": ("mailchimp.com",),
    "grafana_token": ("grafana.net", "grafana.com"),
    "atlassian_api_token": ("atlassian.net", "atlassian.com"),
    "postman_api_key": ("getpostman.com", "postman.com"),
    "docker_hub_token": ("docker.com", "docker.io"),
    "pulumi_token": ("pulumi.com",),
    "doppler_token": ("doppler.com",),
    "terraform_cloud_token": ("terraform.io",),
    "brevo_api_key": ("brevo.com", "sendinblue.com"),
    "figma_token": ("figma.com",),
    "supabase_token": ("supabase.com", "supabase.co"),
    "planetscale_token": ("planetscale.com", "psdb.cloud"),
    "openrouter_api_key": ("openrouter.ai",),
    "perplexity_api_key": ("perplexity.ai",),
    "xai_api_key": ("x.ai",),
    "hubspot_token": ("hubapi.com", "hubspot.com"),
    "braintree_access_token": ("braintreegateway.com", "braintree-api.com"),
    "plaid_access_token": ("plaid.com",),
    "contentful_token": ("contentful.com",),
    "airtable_token": ("airtable.com",),
    "twitter_bearer_token": ("twitter.com", "x.com"),
    "facebook_access_token": ("facebook.com",),
    "alibaba_access_key": ("aliyuncs.com",),
    "heroku_api_key": ("heroku.com",),
    "klaviyo_private_key": ("klaviyo.com",),
}
OWN_CREDENTIAL = "credential for the sub-processor's own API"
OUTSIDE_AUTH_FIELDS = "outside its authentication fields"

KINDS = (
    "unapproved_category", "unapproved_field", "pii_to_unknown", "secret_leak", "watchlist_hit",
    "new_field_path", "plaintext_transfer", "weak_tls", "unknown_destination", "volume_anomaly",
)


@dataclass(frozen=True)
class Violation:
    kind: str
    severity: str
    subprocessor: str  # "" for an unknown destination
    destination: str  # registrable domain, host or address
    rule: str  # the policy that was broken, in words
    ts: float = 0.0
    category: str = ""  # a data category; "" for transport violations
    field_path: str = ""
    endpoint: str = ""  # "POST /v1/customers" with the path as a template
    tls_version: str = ""  # weak_tls: the version negotiated
    masked: tuple[str, ...] = ()  # masked previews only
    value_hashes: tuple[str, ...] = ()
    event_id: int = 0

    def labels(self) -> dict[str, str]:
        """What identifies the condition (its fingerprint): never a value."""
        labels = {"kind": self.kind, "subprocessor": self.subprocessor or "unknown"}
        if not self.subprocessor:
            labels["destination"] = self.destination
        for key in ("category", "field_path", "endpoint", "tls_version"):
            value = getattr(self, key)
            if value:
                labels[key] = value
        return labels


def tls_rank(version: str) -> float | None:
    """'TLSv1.2', 'TLS 1.2', 'tls1_2', '1.2', 'SSLv3' -> comparable number; None if unknown."""
    text = version.strip().lower().replace("_", ".").replace(" ", "")
    if not text:
        return None
    if text.startswith("ssl"):
        return 0.0
    digits = text.removeprefix("tlsv").removeprefix("tls")
    try:
        return float(digits) if digits else None
    except ValueError:
        return None


@dataclass
class RequestFacts:
    """What the policy needs about one request; built by the pipeline or `scan`."""

    ts: float
    method: str
    path: str  # raw path, for endpoint globs; never stored
    endpoint: str  # "METHOD /template"
    scheme: str
    tls_version: str
    event_id: int = 0


class PolicyEngine:
    def __init__(self, registry: Registry, known_paths: set[tuple[str, str, str]] | None = None):
        self.config = registry
        self.policies: dict[str, Policy] = {s.name: s.policy for s in registry.subprocessor}
        # (subprocessor, category, field_path) seen before: a new one is worth telling.
        self.known_paths: set[tuple[str, str, str]] = set(known_paths or ())
        self.seen_unknown: set[str] = set()
        self._ignored = ignored_destinations(registry)

    # -- one request -----------------------------------------------------------------------
    def evaluate(self, facts: RequestFacts, match: Match, findings: list) -> list[Violation]:
        out: list[Violation] = []
        sub = match.subprocessor
        destination = match.registrable_domain or match.host
        if not sub:
            out += self._unknown_destination(facts, destination, match.host)
        else:
            out += self._transport(facts, sub, destination)
        for finding in findings:
            violation = self._judge_finding(facts, sub, destination, finding)
            if violation:
                out.append(violation)
        return out

    def _unknown_destination(self, facts: RequestFacts, destination: str, host: str) -> list[Violation]:
        unknown = self.config.unknown
        if not unknown.alert or not destination or destination in self.seen_unknown:
            return []
        # The host, not its registrable domain, goes by the ignore rules ("archive.ubuntu.com"
        # is that host only), and before the destination counts as seen: an ignored host
        # must not hide the other hosts of its domain.
        if self._ignored.match(host or destination):
            return []
        self.seen_unknown.add(destination)
        return [Violation("unknown_destination", unknown.severity, "", destination,
                          "traffic to a destination no sub-processor in the registry covers", facts.ts,
                          endpoint=facts.endpoint, event_id=facts.event_id)]

    def _transport(self, facts: RequestFacts, sub: str, destination: str) -> list[Violation]:
        policy = self.policies[sub]
        if facts.scheme == "http" and policy.tls_required:
            return [Violation("plaintext_transfer", policy.severity, sub, destination,
                              f"{sub} requires TLS; a request went in plaintext HTTP", facts.ts,
                              endpoint=facts.endpoint, event_id=facts.event_id)]
        return self.evaluate_tls(sub, destination, facts.tls_version, facts.ts, facts.event_id)

    def evaluate_tls(self, sub: str, destination: str, version: str, ts: float, event_id: int = 0) -> list[Violation]:
        """A negotiated TLS version below the sub-processor's minimum."""
        if not sub:
            return []
        policy = self.policies[sub]
        rank, minimum = tls_rank(version), float(policy.min_tls_version)
        if rank is None or rank >= minimum:
            return []
        return [Violation("weak_tls", policy.severity, sub, destination,
                          f"{sub} requires TLS {policy.min_tls_version} or later; {version} was negotiated", ts,
                          tls_version=version, event_id=event_id)]

    # -- one finding -------------------------------------------------------------------------
    def _judge_finding(self, facts: RequestFacts, sub: str, destination: str, finding) -> Violation | None:
        category, path = finding.category, finding.field_path
        base = dict(ts=facts.ts, category=category, field_path=path, endpoint=facts.endpoint,
                    masked=(finding.masked,), value_hashes=(finding.value_hash,), event_id=facts.event_id)
        if category == "SECRET":
            return self._judge_secret(sub, destination, finding, base)
        if not sub:
            return Violation("pii_to_unknown", self._severity(category, self.config.unknown.pii_severity), "",
                             destination, "personal data sent to a destination no sub-processor in the registry covers",
                             **base)
        allowed, rule = self.allows(sub, facts.method, facts.path, category, path)
        first_time = (sub, category, path) not in self.known_paths
        self.known_paths.add((sub, category, path))
        if finding.watchlist and (not allowed or category == "CANARY"):
            return Violation("watchlist_hit", "critical", sub, destination,
                             f"a guarded identifier (watchlist or canary) left for {sub}; {rule}", **base)
        if not allowed:
            kind = "unapproved_field" if rule.startswith("field") else "unapproved_category"
            return Violation(kind, self._severity(category, self.policies[sub].severity), sub, destination,
                             rule.split(": ", 1)[-1], **base)
        if first_time:
            return Violation("new_field_path", "low", sub, destination,
                             f"{category} at {path} sent to {sub} for the first time (allowed by policy)", **base)
        return None

    def _severity(self, category: str, severity: str) -> str:
        """``severity``, raised to [special_categories]' for GDPR Art. 9 data."""
        if category == "SPECIAL_CATEGORY":
            floor = self.config.special_categories.severity
            if SEVERITY_ORDER[floor] > SEVERITY_ORDER[severity]:
                return floor
        return severity

    def _judge_secret(self, sub: str, destination: str, finding, base: dict) -> Violation | None:
        subtype = getattr(finding, "subtype", "") or "secret"
        allowed, why = self.secret_allows(sub, destination, finding.field_path, subtype)
        if allowed:
            return None
        where = f"to {sub}" if sub else f"to unknown destination {destination}"
        return Violation("secret_leak", self.config.secrets.severity, sub, destination,
                         f"a {subtype} was sent {where} {why}", **base)

    def secret_allows(self, sub: str, destination: str, field_path: str, subtype: str) -> tuple[bool, str]:
        """(allowed, why in words) for a secret sent to `destination` (registrable domain or host).

        Allowed: to a sub-processor in secrets.allow_to, or in an authentication field, when
        the secret's issuer (SECRET_ISSUERS) owns the destination, or when it names no issuer
        and the destination is a registered sub-processor. A key used with its own issuer is
        no leak whether or not the issuer is registered: an unregistered destination has its
        own alert (unknown_destination)."""
        if sub and sub in self.config.secrets.allow_to:
            return True, OWN_CREDENTIAL
        if field_path.lower() not in AUTH_FIELDS:
            return False, OUTSIDE_AUTH_FIELDS
        issuers = SECRET_ISSUERS.get(subtype, ())
        if issuers:
            if _within(destination, issuers):
                return True, OWN_CREDENTIAL
            return False, (f"in an authentication field, but it is a credential for {issuers[0]}, "
                           f"not {destination or 'this destination'}")
        if not sub:
            return False, "in an authentication field of a destination no sub-processor in the registry covers"
        return True, OWN_CREDENTIAL

    def allows(self, sub: str, method: str, path: str, category: str, field_path: str) -> tuple[bool, str]:
        """(allowed, the rule in words). At an endpoint with rules of its own, its `allow` and
        `fields` (when given, even empty) replace the sub-processor's; `deny` holds everywhere."""
        policy = self.policies[sub]
        if category in policy.deny or "*" in policy.deny:
            return False, f"category: {sub} must never receive {category}"
        endpoint = _matching_endpoint(policy.endpoints, method, path)
        allow = endpoint.allow if endpoint and endpoint.allow is not None else policy.allow
        fields = endpoint.fields if endpoint and endpoint.fields is not None else policy.fields
        scope = f"{sub} {endpoint.path}" if endpoint else sub
        if "*" not in allow and category not in allow:
            allowed_text = ", ".join(allow) if allow else "no personal data"
            return False, f"category: {scope} may receive {allowed_text}; not {category}"
        if fields and not _field_rule(tuple(fields)).fullmatch(normalise_indices(field_path)):
            return False, f"field: {scope} may receive {category} only at {', '.join(fields)}; not at {field_path}"
        return True, f"{scope} may receive {category}"


def _within(destination: str, domains: tuple[str, ...]) -> bool:
    """Whether a registrable domain or host is one of `domains` or under one of them."""
    host = destination.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


@functools.lru_cache(maxsize=4096)
def _field_rule(patterns: tuple[str, ...]) -> re.Pattern:
    """One regex for a policy's `fields` (detectors/pii/fieldpaths.py says the syntax)."""
    return re.compile(globs_regex(patterns))


def _matching_endpoint(endpoints: list[EndpointPolicy], method: str, path: str) -> EndpointPolicy | None:
    """The most specific endpoint rule for the request (longest literal path prefix, as the most
    specific domain rule wins); of equally specific ones, the first listed."""
    best: EndpointPolicy | None = None
    for endpoint in endpoints:
        if endpoint.methods and method.upper() not in endpoint.methods:  # stored upper case
            continue
        if fnmatch.fnmatchcase(path, endpoint.path) and (best is None or endpoint.specificity > best.specificity):
            best = endpoint
    return best


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITY_ORDER[severity] >= SEVERITY_ORDER[threshold]
