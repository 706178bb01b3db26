"""Secret rules in the manner of gitleaks and detect-secrets.

Each rule has lower-case keywords (one must occur in the sample before its regex runs),
a regex, a minimum Shannon entropy for the secret part and its own allowlist. A global
allowlist drops templated and example values (``${VAR}``, ``{{x}}``, ``<token>``,
``...EXAMPLE``, ``xxxx``, repeated characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from .cmodules import c_module
from .validators import shannon_entropy


@dataclass(frozen=True)
class SecretRule:
    subtype: str
    regex: str  # RE2 syntax; group 1 (if any) is the secret
    keywords: tuple[str, ...]
    entropy: float = 0.0
    prefix: str = ""  # public prefix the mask may keep
    confidence: float = 0.9
    allow: tuple[str, ...] = field(default=())  # Python-re patterns, searched in the value
    # A prefix of ``regex`` for the Hyperscan prefilter where ``regex`` would report at
    # every character of an open-ended tail ("" means ``regex``).
    prefilter: str = ""


RULES: Final[tuple[SecretRule, ...]] = (
    SecretRule("aws_access_key", r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b",
               ("akia", "asia", "abia", "acca", "a3t"), 3.0, "AKIA", 0.95, (r"EXAMPLE$",)),
    SecretRule("gcp_api_key", r"\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)", ("aiza",), 3.5, "AIza", 0.9),
    SecretRule("github_token", r"\b((?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{36})\b", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
               3.0, "", 0.95),
    SecretRule("github_token", r"\b(github_pat_[0-9A-Za-z_]{82})\b", ("github_pat_",), 3.0, "github_pat_", 0.95),
    SecretRule("gitlab_token", r"\b(glpat-[0-9A-Za-z_\-]{20})\b", ("glpat-",), 3.0, "glpat-", 0.95),
    SecretRule("slack_token", r"\b(xox[baprs]-[0-9A-Za-z\-]{10,72})\b", ("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"),
               3.0, "xox", 0.95),
    SecretRule("slack_webhook", r"(hooks\.slack\.com/services/T[0-9A-Z]{8,12}/B[0-9A-Z]{8,12}/[0-9A-Za-z]{20,32})",
               ("hooks.slack.com",), 3.0, "hooks.slack.com/services/", 0.95),
    SecretRule("discord_webhook", r"(discord(?:app)?\.com/api/webhooks/\d{17,20}/[0-9A-Za-z_\-]{60,80})",
               ("discord",), 3.0, "discord.com/api/webhooks/", 0.95),
    SecretRule("stripe_secret_key", r"\b((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,99})\b", ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
               3.0, "", 0.95),
    SecretRule("stripe_webhook_secret", r"\b(whsec_[0-9A-Za-z]{24,64})\b", ("whsec_",), 3.0, "whsec_", 0.9),
    SecretRule("twilio_api_key", r"\b(SK[0-9a-f]{32})\b", ("sk",), 3.0, "SK", 0.75),
    SecretRule("sendgrid_api_key", r"\b(SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43})\b", ("sg.",), 3.5, "SG.", 0.95),
    SecretRule("mailgun_api_key", r"\b(key-[0-9a-f]{32})\b", ("key-",), 3.0, "key-", 0.85),
    SecretRule("openai_api_key", r"\b(sk-(?:proj-|svcacct-|admin-)?[0-9A-Za-z_\-]{20,200}T3BlbkFJ[0-9A-Za-z_\-]{20,200})\b",
               ("t3blbkfj",), 3.5, "sk-", 0.95),
    SecretRule("openai_api_key", r"\b(sk-(?:proj|svcacct|admin)-[0-9A-Za-z_\-]{40,200})\b", ("sk-proj-", "sk-svcacct-", "sk-admin-"),
               3.5, "sk-", 0.9),
    SecretRule("anthropic_api_key", r"\b(sk-ant-(?:api|admin)\d{2}-[0-9A-Za-z_\-]{80,120})\b", ("sk-ant-",), 3.5, "sk-ant-", 0.95),
    SecretRule("npm_token", r"\b(npm_[0-9A-Za-z]{36})\b", ("npm_",), 3.0, "npm_", 0.9),
    SecretRule("pypi_token", r"\b(pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_\-]{50,})", ("pypi-ageichlwas5vcmc",), 3.0, "pypi-", 0.95),
    SecretRule("shopify_token", r"\b(shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32})\b", ("shpat_", "shpca_", "shppa_", "shpss_"), 3.0, "shp", 0.95),
    SecretRule("square_token", r"\b(EAAA[0-9A-Za-z_\-]{60})\b", ("eaaa",), 3.5, "EAAA", 0.8),
    SecretRule("datadog_api_key", r"(?:dd|datadog)[_\-]?api[_\-]?key[\"']?\s*[:=]\s*[\"']?([0-9a-f]{32})\b",
               ("dd_api_key", "dd-api-key", "datadog"), 3.0, "", 0.85),
    SecretRule("private_key",
               r"(-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----)",
               ("-----begin",), 0.0, "-----BEGIN", 0.95),
    # AI providers (Sentinel's AI sub-processors), then cloud, ops and SaaS tokens with
    # a fixed prefix; formats as gitleaks documents them.
    SecretRule("huggingface_token", r"\b(hf_[A-Za-z]{34})\b", ("hf_",), 3.5, "hf_", 0.9),
    SecretRule("groq_api_key", r"\b(gsk_[0-9A-Za-z]{52})\b", ("gsk_",), 3.5, "gsk_", 0.95),
    SecretRule("replicate_api_token", r"\b(r8_[0-9A-Za-z]{37})\b", ("r8_",), 3.5, "r8_", 0.9),
    SecretRule("google_oauth_client_secret", r"\b(GOCSPX-[0-9A-Za-z_\-]{28})\b", ("gocspx-",), 3.5, "GOCSPX-", 0.95),
    SecretRule("aws_secret_access_key",
               r"(?i:aws_?secret_?access_?key|aws_?secret_?key)[\"']?\s*[:=]\s*[\"']?([0-9A-Za-z/+]{40})(?:[^0-9A-Za-z/+]|$)",
               ("aws_secret", "awssecret"), 4.0, "", 0.9),
    SecretRule("azure_storage_key", r"AccountKey=([0-9A-Za-z+/]{86}==)", ("accountkey=",), 4.0, "", 0.95),
    SecretRule("telegram_bot_token", r"\b(\d{8,10}:AA[0-9A-Za-z_\-]{33})\b", (":aa",), 3.5, "", 0.9),
    SecretRule("digitalocean_token", r"\b(do[opr]_v1_[0-9a-f]{64})\b", ("dop_v1_", "doo_v1_", "dor_v1_"), 3.0, "do", 0.95),
    SecretRule("databricks_token", r"\b(dapi[0-9a-f]{32}(?:-\d)?)\b", ("dapi",), 3.0, "dapi", 0.9),
    SecretRule("linear_api_key", r"\b(lin_api_[0-9A-Za-z]{40})\b", ("lin_api_",), 3.5, "lin_api_", 0.95),
    SecretRule("new_relic_key", r"\b(NRAK-[0-9A-Z]{27})\b", ("nrak-",), 3.0, "NRAK-", 0.95),
    SecretRule("vault_token", r"\b(hvs\.[0-9A-Za-z_\-]{90,120})\b", ("hvs.",), 3.5, "hvs.", 0.95),
    SecretRule("sentry_auth_token", r"\b(sntry[su]_[0-9A-Za-z+/=_]{40,200})", ("sntrys_", "sntryu_"), 3.5, "sntry", 0.95),
    SecretRule("mailchimp_api_key", r"\b([0-9a-f]{32}-us\d{1,2})\b", ("-us",), 3.0, "", 0.85),
    SecretRule("grafana_token", r"\b(glsa_[0-9A-Za-z]{32}_[0-9A-Fa-f]{8}|glc_[0-9A-Za-z+/]{32,400}={0,2})", ("glsa_", "glc_"),
               3.5, "gl", 0.95),
    # More services' tokens with a prefix of their own (formats as each service documents them).
    SecretRule("atlassian_api_token", r"\b(ATATT3[0-9A-Za-z_\-=]{180,200})", ("atatt3",), 3.5, "ATATT3", 0.95,
               prefilter=r"\bATATT3[0-9A-Za-z_\-=]{180}"),
    SecretRule("postman_api_key", r"\b(PMAK-[0-9a-f]{24}-[0-9a-f]{34})\b", ("pmak-",), 3.0, "PMAK-", 0.95),
    SecretRule("docker_hub_token", r"\b(dckr_pat_[0-9A-Za-z_\-]{27})(?:[^0-9A-Za-z_\-]|$)", ("dckr_pat_",), 3.0, "dckr_pat_",
               0.95),
    SecretRule("pulumi_token", r"\b(pul-[0-9a-f]{40})\b", ("pul-",), 3.0, "pul-", 0.95),
    SecretRule("doppler_token", r"\b(dp\.(?:pt|st|sa|ct|scim|audit)\.[0-9A-Za-z]{40,44})\b", ("dp.",), 3.5, "dp.", 0.95,
               prefilter=r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[0-9A-Za-z]{40}"),
    SecretRule("terraform_cloud_token", r"\b([0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_\-=]{60,70})", (".atlasv1.",), 3.5, "",
               0.95, prefilter=r"[0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_\-=]{60}"),
    SecretRule("brevo_api_key", r"\b(xkeysib-[0-9a-f]{64}-[0-9A-Za-z]{16})\b", ("xkeysib-",), 3.0, "xkeysib-", 0.95),
    SecretRule("figma_token", r"\b(figd_[0-9A-Za-z_\-]{40})(?:[^0-9A-Za-z_\-]|$)", ("figd_",), 3.5, "figd_", 0.95),
    SecretRule("supabase_token", r"\b(sbp_[0-9a-f]{40})\b", ("sbp_",), 3.0, "sbp_", 0.95),
    SecretRule("age_secret_key", r"\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b", ("age-secret-key-1",), 3.0,
               "AGE-SECRET-KEY-1", 0.95),
    SecretRule("planetscale_token", r"\b(pscale_(?:tkn|pw|oauth)_[0-9A-Za-z_\-.=]{32,64})", ("pscale_",), 3.5, "pscale_",
               0.95, prefilter=r"\bpscale_(?:tkn|pw|oauth)_[0-9A-Za-z_\-.=]{32}"),
    SecretRule("openrouter_api_key", r"\b(sk-or-v1-[0-9a-f]{64})\b", ("sk-or-v1-",), 3.0, "sk-or-v1-", 0.95),
    SecretRule("perplexity_api_key", r"\b(pplx-[0-9A-Za-z]{48})\b", ("pplx-",), 3.5, "pplx-", 0.95),
    SecretRule("xai_api_key", r"\b(xai-[0-9A-Za-z]{80})\b", ("xai-",), 3.5, "xai-", 0.95),
    SecretRule("hubspot_token", r"\b(pat-(?:na|eu)1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
               ("pat-na1-", "pat-eu1-"), 3.0, "pat-", 0.95),
    SecretRule("braintree_access_token", r"(access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32})\b",
               ("access_token$",), 3.0, "access_token$", 0.95),
    SecretRule("plaid_access_token",
               r"\b(access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
               ("access-sandbox-", "access-development-", "access-production-"), 3.0, "access-", 0.95),
    SecretRule("contentful_token", r"\b(CFPAT-[0-9A-Za-z_\-]{43})(?:[^0-9A-Za-z_\-]|$)", ("cfpat-",), 3.5, "CFPAT-", 0.95),
    SecretRule("airtable_token", r"\b(pat[0-9A-Za-z]{14}\.[0-9a-f]{64})\b", ("pat",), 3.0, "pat", 0.95),
    SecretRule("twitter_bearer_token", r"\b(A{21}[0-9A-Za-z%]{30,120})", ("aaaaaaaaaaaaaaaaaaaaa",), 3.0, "", 0.9,
               prefilter=r"\bA{21}[0-9A-Za-z%]{30}"),
    # Square's tokens are "EAAA" and 60 more; Facebook's page and user tokens run longer.
    SecretRule("facebook_access_token", r"\b(EAA[0-9A-Za-z]{90,300})\b", ("eaa",), 3.5, "EAA", 0.9,
               prefilter=r"\bEAA[0-9A-Za-z]{90}"),
    SecretRule("alibaba_access_key", r"\b(LTAI[0-9A-Za-z]{20})\b", ("ltai",), 3.5, "LTAI", 0.9),
    SecretRule("heroku_api_key", r"\b(HRKU-[0-9A-Za-z_\-]{60})(?:[^0-9A-Za-z_\-]|$)", ("hrku-",), 3.5, "HRKU-", 0.95),
    SecretRule("klaviyo_private_key", r"\b(pk_[0-9a-f]{34})\b", ("pk_",), 3.0, "pk_", 0.85),
    SecretRule("jwt", r"\b(eyJ[0-9A-Za-z_\-]{8,}\.eyJ[0-9A-Za-z_\-]{8,}\.[0-9A-Za-z_\-]{8,})", ("eyj",), 3.0, "eyJ", 0.85,
               prefilter=r"\beyJ[0-9A-Za-z_\-]{8,}\.eyJ"),
    # The user may be empty ("redis://:<password>@cache") and the host short ("@db", a
    # service name in a compose file).
    SecretRule("url_credentials", r"[a-z][a-z0-9+.\-]{1,20}://[^\s:/@\"']{0,64}:([^\s:/@\"']{3,128})@[0-9A-Za-z.\-]{2,255}",
               ("://",), 0.0, "", 0.95, prefilter=r"[a-z][a-z0-9+.\-]{1,20}://[^\s:/@\"']{0,64}:[^\s:/@\"']{3,128}@[0-9A-Za-z.\-]"),
)

# --- global allowlist -------------------------------------------------------------

_TEMPLATED: Final = re.compile(
    r"\$\{[^}]{0,100}\}|\{\{[^}]{0,100}\}\}|<[A-Za-z_\- ]{1,60}>|%\([A-Za-z_]{1,40}\)s|^\$[A-Z_][A-Z0-9_]{0,60}$|"
    r"^%[A-Z_]{1,60}%$|^\[[A-Z_ ]{1,40}\]$|^\*+$"
)
_PLACEHOLDER_WORDS: Final[tuple[str, ...]] = ("example", "xxxx", "****", "....", "changeme", "placeholder", "redacted", "dummy", "sample",
                      "[filtered]", "your_api_key", "your-api-key", "yourapikey", "your_token", "your-token",
                      "your_secret", "your-secret", "your_key", "insert_", "replace_me", "replaceme")
_TEMPLATE_CHARS: Final[tuple[str, ...]] = tuple("${}<>%[]*")
_SEQUENCES: Final[tuple[str, ...]] = ("0123456789", "123456789", "abcdefghij", "abcdefgh", "qwertyuiop", "12345678")
_LITERALS: Final = frozenset({"true", "false", "null", "none", "undefined", "nil", "yes", "no", "on", "off", "password", "secret", "token"})


_SEQ_MAX: Final = max(len(s) for s in _SEQUENCES) + 2


def _has_any(text: str, parts: tuple[str, ...]) -> bool:
    # Compiled, a substring search each (memchr-fast on short values) costs less than one
    # call into a regex engine.
    for p in parts:
        if p in text:
            return True
    return False


_C_TEXT: Final = c_module("_text")
if _C_TEXT is not None:
    _C_TEXT.bind_allowlist(tuple(sorted(_LITERALS)), _PLACEHOLDER_WORDS, "".join(_TEMPLATE_CHARS), _SEQUENCES)
_C_ALLOWLISTED: Final[Any] = _C_TEXT.allowlisted if _C_TEXT is not None else None


def allowlisted(value: str) -> bool:
    """True for templated, placeholder and example values that are not real secrets."""
    if _C_ALLOWLISTED is not None:
        got = _C_ALLOWLISTED(value)  # None: a template character or non-ASCII text
        if got is not None:
            return got
    return allowlisted_py(value)


def allowlisted_py(value: str) -> bool:
    """``allowlisted`` in Python: the reference for the C twin, and the rest of values."""
    v = value.strip().strip("\"'")
    if not v:
        return True
    low = v.lower()
    if low in _LITERALS:
        return True
    if _has_any(v, _TEMPLATE_CHARS) and _TEMPLATED.search(v):
        return True
    if _has_any(low, _PLACEHOLDER_WORDS):
        return True
    # Repeated characters: "aaaaaaaa", "00000000", "abababab" (a prefix with three
    # distinct characters already rules it out).
    if len(v) >= 6 and len(set(v[:8])) <= 2 and len(set(v)) <= 2:
        return True
    # A known sequence, alone or with at most two extra characters: short values only.
    if len(low) <= _SEQ_MAX and any(low == s or (len(low) >= 8 and s in low and len(low) - len(s) <= 2)
                                    for s in _SEQUENCES):
        return True
    return False


def entropy_ok(value: str, minimum: float) -> bool:
    return minimum <= 0 or shannon_entropy(value) >= minimum
