"""Special categories of personal data (GDPR Article 9; "sensitive personal information"
under the CPRA): health, racial or ethnic origin, religion, sexual orientation, political
opinions, trade-union membership, genetic and biometric data, where a field names them.

These are the leaks regulators have fined: a pharmacy's pixel sending the drug and the
condition a visitor looked up to an ad network, a therapy app's sign-up form telling an
analytics SDK about past therapy. The value alone says little ("Asian", "Sertraline",
"F32.9"); the field says what it is. So:

- under a field whose name says it all (``ethnicity``, ``diagnosis``, ``medication``,
  ``sexual_orientation``, ``religion``), any value that states something;
- under a name that means other things too (``race`` of a running event, a product's
  ``condition``, a screen's ``orientation``, a banknote's ``denomination``), only a value
  from the category's vocabulary, or an ICD-10 code with its dot;
- under such a field's object, its name, code or label (``{"medications": [{"name":
  "Sertraline"}]}``).

A yes to a health question ({"has_diabetes": true}, "pregnant=yes") says the condition;
the walk reads a JSON true only under such names (Recognizer.flag_hints). A condition of
the vocabulary in what a tracker says the visitor did or viewed (an event's name, a page
title, a search) is reported too: "Diabetes Screening Booked" sent with a
visitor's id tells the ad network about the visitor.

Values that decline to say ("prefer not to say", "unknown", "none") state nothing and are
left out. The finding's subtype names the category; its mask shows nothing of the value.
"""

from __future__ import annotations

import re
from typing import Final, Iterable

from ..finding import Category, Location
from ..masking import folded_words
from .base import Ctx, Hit, Recognizer

HEALTH: Final = "health"
ETHNICITY: Final = "ethnicity"
RELIGION: Final = "religion"
SEXUAL_ORIENTATION: Final = "sexual_orientation"
POLITICAL_OPINION: Final = "political_opinion"
TRADE_UNION: Final = "trade_union"
GENETIC: Final = "genetic"
BIOMETRIC: Final = "biometric"

# Field-name tokens (context.field_tokens: "sexualOrientation" gives "sexualorientation")
# that name the category whatever the value.
_NAMED: Final[dict[str, str]] = {
    **dict.fromkeys(("diagnosis", "diagnoses", "diagnosiscode", "diagnosiscodes", "medicalcondition",
                     "medicalconditions", "healthcondition", "healthconditions", "chroniccondition",
                     "chronicconditions", "preexistingconditions", "medication", "medications", "medicationname",
                     "prescription", "prescriptions", "drug", "drugs", "drugname", "symptom", "symptoms",
                     "disability", "disabilities", "allergy", "allergies", "icd10", "icd10code", "icdcode", "icd",
                     "bloodtype", "hivstatus", "mentalhealth", "pregnancystatus", "medicalhistory", "labtest",
                     "labtests", "labtestname", "labresult", "labresults"), HEALTH),
    **dict.fromkeys(("ethnicity", "ethnicities", "ethnic", "ethnicorigin", "ethnicgroup", "racialorigin",
                     "raceethnicity", "ethnicityrace"), ETHNICITY),
    **dict.fromkeys(("religion", "religious", "religiousaffiliation", "religiousbelief", "religiousbeliefs"),
                    RELIGION),
    **dict.fromkeys(("sexualorientation", "sexuality"), SEXUAL_ORIENTATION),
    **dict.fromkeys(("politicalparty", "politicalaffiliation", "politicalopinion", "politicalopinions",
                     "politicalview", "politicalviews", "votingintention"), POLITICAL_OPINION),
    **dict.fromkeys(("tradeunion", "unionmembership", "unionmember", "laborunion", "labourunion"), TRADE_UNION),
    **dict.fromkeys(("genotype", "geneticdata", "geneticmarker", "geneticmarkers", "dnaprofile", "dnasequence",
                     "haplogroup"), GENETIC),
    **dict.fromkeys(("biometric", "biometrics", "biometricdata", "biometrictemplate", "faceprint", "facetemplate",
                     "faceembedding", "voiceprint", "irisscan", "iristemplate", "fingerprinttemplate"), BIOMETRIC),
}

_ETHNICITY_VALUES: Final = frozenset({
    "white", "black", "asian", "hispanic", "latino", "latina", "latinx", "caucasian", "african american",
    "black or african american", "american indian", "alaska native", "american indian or alaska native",
    "native american", "native hawaiian", "pacific islander", "native hawaiian or other pacific islander",
    "middle eastern", "arab", "south asian", "east asian", "southeast asian", "multiracial", "mixed",
    "mixed race", "two or more races", "hispanic or latino", "not hispanic or latino", "aboriginal",
    "indigenous", "first nations", "roma", "romani", "white british", "black british", "asian british",
    "african", "caribbean", "black caribbean", "black african",
})
_RELIGION_VALUES: Final = frozenset({
    "christian", "christianity", "catholic", "roman catholic", "protestant", "orthodox", "eastern orthodox",
    "evangelical", "baptist", "methodist", "lutheran", "presbyterian", "anglican", "episcopalian",
    "pentecostal", "mormon", "lds", "jehovah's witness", "muslim", "islam", "sunni", "shia", "jewish",
    "judaism", "hindu", "hinduism", "buddhist", "buddhism", "sikh", "sikhism", "jain", "bahai", "baha'i",
    "shinto", "taoist", "atheist", "agnostic",
})
_ORIENTATION_VALUES: Final = frozenset({
    "gay", "lesbian", "bisexual", "heterosexual", "straight", "homosexual", "queer", "pansexual", "asexual",
    "demisexual", "lgbt", "lgbtq", "lgbtq+",
})
# Conditions a product's "condition" never is: what pharmacy, telehealth and insurance
# sites send as one.
_CONDITION_VALUES: Final = frozenset({
    "diabetes", "type 1 diabetes", "type 2 diabetes", "prediabetes", "depression", "anxiety", "asthma", "hiv",
    "aids", "cancer", "breast cancer", "prostate cancer", "lung cancer", "hypertension", "high blood pressure",
    "high cholesterol", "adhd", "autism", "bipolar", "bipolar disorder", "schizophrenia", "ptsd", "ocd",
    "epilepsy", "migraine", "migraines", "arthritis", "rheumatoid arthritis", "osteoarthritis", "copd",
    "heart disease", "heart failure", "obesity", "alzheimer's", "alzheimers", "dementia", "parkinson's",
    "parkinsons", "multiple sclerosis", "crohn's disease", "ulcerative colitis", "ibs", "psoriasis", "eczema",
    "hepatitis", "hepatitis b", "hepatitis c", "herpes", "chlamydia", "gonorrhea", "syphilis", "std", "sti",
    "erectile dysfunction", "infertility", "insomnia", "eating disorder", "anorexia", "bulimia", "addiction",
    "alcoholism", "opioid use disorder", "substance use disorder", "tuberculosis", "lupus", "fibromyalgia",
    "celiac disease", "kidney disease", "chronic kidney disease", "stroke", "glaucoma", "hypothyroidism",
    "hyperthyroidism", "osteoporosis", "gout", "endometriosis", "pcos", "menopause", "pregnancy", "pregnant",
    "covid-19", "long covid", "sleep apnea", "panic disorder", "postpartum depression", "acid reflux", "gerd",
    "allergies", "birth control", "contraception", "weight loss", "smoking cessation", "chronic pain",
    "hair loss", "acne", "overactive bladder", "urinary tract infection", "uti", "yeast infection",
    "hiv prep", "opioid addiction", "alzheimer's disease", "parkinson's disease",
})
# An ICD-10 code with its dot ("F32.9", "E11.65"): bare, "A12" is as likely a seat or a grid.
_ICD10_DOTTED: Final = re.compile(r"[A-TV-Z][0-9][0-9AB]\.[0-9A-TV-Z]{1,4}")
_ICD10: Final = re.compile(r"[A-TV-Z][0-9][0-9AB](?:\.?[0-9A-TV-Z]{1,4})?")
_CODE_FIELDS: Final = frozenset({"icd10", "icd10code", "icdcode", "icd", "diagnosiscode", "diagnosiscodes"})

# Names that mean these categories and other things, with the vocabulary that tells them apart.
_AMBIGUOUS: Final[dict[str, tuple[str, frozenset[str]]]] = {
    "race": (ETHNICITY, _ETHNICITY_VALUES),
    "denomination": (RELIGION, _RELIGION_VALUES),
    "faith": (RELIGION, _RELIGION_VALUES),
    "orientation": (SEXUAL_ORIENTATION, _ORIENTATION_VALUES),
    "condition": (HEALTH, _CONDITION_VALUES),
    "conditions": (HEALTH, _CONDITION_VALUES),
}
# Under a named field's object, the members that hold what it names.
_MEMBER_FIELDS: Final = frozenset({"name", "code", "display"})

# Names of yes-or-no questions about a condition: {"has_diabetes": true}, a therapy app's
# {"previously_in_therapy": true} (the FTC's BetterHelp order), a form's "pregnant=yes".
# A condition of one word, or a word that says someone has one -> the condition.
_FLAGS: Final = {
    **{c: c for c in _CONDITION_VALUES if c.isalnum() and c not in ("aids", "std", "sti", "stroke", "acne")},
    "diabetic": "diabetes", "asthmatic": "asthma", "epileptic": "epilepsy", "depressed": "depression",
    "hivpositive": "hiv", "smoker": "smoker", "therapy": "therapy",
}
# What answers yes.
_TRUE: Final = frozenset({"true", "yes", "y", "1", "on", "checked"})
# A statement of these is a few words: "Type 2 diabetes mellitus without complications".
_MOST_WORDS: Final = 8
# Answers that state nothing.
_DECLINED: Final = frozenset({
    "none", "n/a", "na", "unknown", "not specified", "unspecified", "prefer not to say", "prefer not to answer",
    "prefer not to disclose", "declined", "decline", "decline to state", "declined to answer", "not disclosed",
    "undisclosed", "withheld", "other", "null", "undefined", "nil", "-", "no", "false", "0", "not applicable",
    "not provided", "not stated", "not set", "nan", "asked but unknown", "refused", "refused to answer",
    "patient declined", "not asked",
})


# In text, a condition after a phrase that says someone has it: "diagnosed with type 2
# diabetes", "living with HIV", "being treated for depression". French, Spanish and German below.
_CONDITION_CUE: Final = (r"(?i:\b(?:diagnosed[ \t]+with|diagnosis[ \t]+of|suffer(?:s|ing|ed)?[ \t]+from|"
                         r"(?:being[ \t]+)?treated[ \t]+for|treatment[ \t]+for|living[ \t]+with|"
                         r"tested[ \t]+positive[ \t]+for|recovering[ \t]+from|(?:family|medical)[ \t]+history[ \t]+of|"
                         r"medications?[ \t]+for|meds[ \t]+for|struggling[ \t]+with))")
_CONDITION_WORDS: Final = "|".join(re.escape(c).replace(r"\ ", r"[ \t]+")
                                   for c in sorted(_CONDITION_VALUES, key=lambda c: (-len(c), c)))
# Before the phrase, words that speak of a population, not of someone.
_GENERIC_PEOPLE: Final = frozenset({
    "people", "patients", "those", "anyone", "individuals", "adults", "children", "kids", "millions", "thousands",
    "users", "members", "everyone", "families", "women", "men", "persons", "americans", "veterans", "customers",
    "personnes", "enfants", "femmes", "hommes", "personas", "pacientes", "niños", "mujeres", "hombres",
    "menschen", "patienten", "kinder", "frauen", "männer", "millionen",
})
# Up to two words between: "diagnosed with early-onset ...", "treated for severe depression".
_CONDITION_ADJECTIVES: Final = r"(?:(?i:a|an|the|early|mild|moderate|severe|chronic|acute|advanced|major)[ \t]+){0,2}"

# The same in French, Spanish and German, their articles taken with the phrase: "atteinte
# d'une dépression", "diagnosticado con diabetes", "leidet an Depressionen", "lebt mit HIV".
_FR_ARTICLE: Final = r"(?:d'une?[ \t]+|d'|du[ \t]+|de[ \t]+la[ \t]+|de[ \t]+l'|des[ \t]+|de[ \t]+)"
_FR_ES_DE_CUE: Final = (
    r"(?i:\batteint(?:e|s|es)?[ \t]+" + _FR_ARTICLE + r"|\bsouffr(?:e|es|ent|ait|ant)[ \t]+" + _FR_ARTICLE
    + r"|\bdiagnostiqu(?:é|ée|és|ées)[ \t]+(?:avec[ \t]+(?:une?[ \t]+|le[ \t]+|la[ \t]+|l')?|" + _FR_ARTICLE + ")"
    + r"|\btrait(?:é|ée|és|ées)[ \t]+pour[ \t]+(?:une?[ \t]+|le[ \t]+|la[ \t]+|l')?"
    + r"|\bvi(?:s|t|vre|vant)[ \t]+avec[ \t]+(?:une?[ \t]+|le[ \t]+|la[ \t]+|l')?"
    + r"|\bdiagnosticad(?:o|a|os|as)[ \t]+con[ \t]+(?:una?[ \t]+)?"
    + r"|\b(?:sufr(?:e|o|es|en|ía)|padec(?:e|es|en|ía)|padezco)[ \t]+(?:de[ \t]+)?(?:una?[ \t]+)?"
    + r"|\btratad(?:o|a|os|as)[ \t]+(?:por|de)[ \t]+(?:una?[ \t]+)?"
    + r"|\bviv(?:e|o|en|ir)[ \t]+con[ \t]+(?:el[ \t]+|la[ \t]+|una?[ \t]+)?"
    + r"|\b(?:leide|leidet|leiden|litt)[ \t]+(?:an|unter)[ \t]+(?:einer[ \t]+|einem[ \t]+)?"
    + r"|\berkrankt[ \t]+an[ \t]+(?:einer[ \t]+|einem[ \t]+)?"
    + r"|\b(?:lebe|lebt|leben)[ \t]+mit[ \t]+(?:einer[ \t]+)?"
    + r"|\bbehandelt[ \t]+wegen[ \t]+(?:einer[ \t]+|eines[ \t]+)?)")
# Their conditions, each -> the vocabulary's English, so a condition hashes alike in any
# of the four languages.
_EU_CONDITIONS: Final = {
    # French
    "diabète": "diabetes", "diabète de type 2": "type 2 diabetes", "diabète de type 1": "type 1 diabetes",
    "dépression": "depression", "asthme": "asthma", "cancer": "cancer", "cancer du sein": "breast cancer",
    "vih": "hiv", "sida": "aids", "hypertension": "hypertension", "épilepsie": "epilepsy", "migraine": "migraine",
    "migraines": "migraines", "anxiété": "anxiety", "sclérose en plaques": "multiple sclerosis",
    "maladie d'alzheimer": "alzheimer's disease", "maladie de parkinson": "parkinson's disease",
    "schizophrénie": "schizophrenia", "trouble bipolaire": "bipolar disorder", "hépatite c": "hepatitis c",
    "bpco": "copd", "obésité": "obesity", "autisme": "autism", "tdah": "adhd", "maladie de crohn": "crohn's disease",
    "endométriose": "endometriosis", "démence": "dementia", "tuberculose": "tuberculosis", "anorexie": "anorexia",
    "alcoolisme": "alcoholism", "polyarthrite rhumatoïde": "rheumatoid arthritis",
    # Spanish
    "diabetes tipo 2": "type 2 diabetes", "depresión": "depression", "asma": "asthma", "cáncer": "cancer",
    "cáncer de mama": "breast cancer", "hipertensión": "hypertension", "epilepsia": "epilepsy",
    "migraña": "migraine", "ansiedad": "anxiety", "esclerosis múltiple": "multiple sclerosis",
    "esquizofrenia": "schizophrenia", "trastorno bipolar": "bipolar disorder",
    "artritis reumatoide": "rheumatoid arthritis", "epoc": "copd",
    "obesidad": "obesity", "autismo": "autism", "enfermedad de crohn": "crohn's disease",
    "endometriosis": "endometriosis", "demencia": "dementia", "tuberculosis": "tuberculosis",
    "alcoholismo": "alcoholism", "alzhéimer": "alzheimer's", "párkinson": "parkinson's",
    # German
    "typ-2-diabetes": "type 2 diabetes", "typ 2 diabetes": "type 2 diabetes", "depressionen": "depression",
    "krebs": "cancer", "brustkrebs": "breast cancer", "bluthochdruck": "hypertension", "epilepsie": "epilepsy",
    "migräne": "migraine", "angststörung": "anxiety", "angststörungen": "anxiety",
    "multipler sklerose": "multiple sclerosis", "multiple sklerose": "multiple sclerosis",
    "schizophrenie": "schizophrenia", "bipolarer störung": "bipolar disorder", "adipositas": "obesity",
    "autismus": "autism", "adhs": "adhd", "morbus crohn": "crohn's disease", "endometriose": "endometriosis",
    "demenz": "dementia", "tuberkulose": "tuberculosis", "magersucht": "anorexia", "alkoholismus": "alcoholism",
    "rheumatoider arthritis": "rheumatoid arthritis", "hepatitis c": "hepatitis c", "copd": "copd",
}
_EU_CONDITION_WORDS: Final = "|".join(re.escape(c).replace(r"\ ", r"[ \t]+")
                                      for c in sorted(_EU_CONDITIONS, key=lambda c: (-len(c), c)))
# German puts the verb last: "ist an Krebs erkrankt", "wurde mit Diabetes diagnostiziert".
# Matched whole (the pattern's group is the other form's); validate() finds the condition.
_DE_VERB_LAST: Final = (r"(?i:\b(?:an|mit|wurde(?:[ \t]+mit)?)[ \t]+(?:einer[ \t]+|einem[ \t]+)?(?:"
                        + _EU_CONDITION_WORDS + "|" + _CONDITION_WORDS + r")[ \t]+(?:erkrankt|diagnostiziert)\b)")
_DE_CONDITION: Final = re.compile(
    r"(?i)(?:an|mit|wurde(?:[ \t]+mit)?)[ \t]+(?:einer[ \t]+|einem[ \t]+)?(.+?)[ \t]+(?:erkrankt|diagnostiziert)")


def _states(v: str) -> bool:
    """Whether a stripped value states something: not a declined answer or a template's
    placeholder."""
    return bool(v) and folded_words(v) not in _DECLINED and "{{" not in v and "${" not in v and "%(" not in v


class SpecialCategoryRecognizer(Recognizer):
    name: str = "special_category"
    category: str = Category.SPECIAL_CATEGORY
    field_hints: frozenset[str] = frozenset(_NAMED) | frozenset(_AMBIGUOUS) | _MEMBER_FIELDS | frozenset(_FLAGS)
    flag_hints: frozenset[str] = frozenset(_FLAGS) | frozenset(t for t, s in _NAMED.items() if s == HEALTH)
    # A "condition" beside a drug or a diagnosis is a health condition, in the vocabulary or not.
    sibling_hints: frozenset[str] = frozenset({"condition", "conditions"})

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        return not tokens.isdisjoint(_NAMED) or not tokens.isdisjoint(_AMBIGUOUS) or not tokens.isdisjoint(_FLAGS) or (
            not tokens.isdisjoint(_MEMBER_FIELDS) and (not parent_tokens.isdisjoint(_NAMED)
                                                       or not parent_tokens.isdisjoint(_AMBIGUOUS)))

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        tokens = ctx.tokens
        if v.lower() in _TRUE:
            return self._answered(tokens, value.index(v), len(v))
        subtype = self._named(tokens, ctx.parent_tokens)
        # A biometric template is long (a face embedding in base64); a statement is not.
        if not _states(v) or (len(v) > 200 and subtype != BIOMETRIC):
            return ()
        if subtype != BIOMETRIC and subtype != GENETIC and v.count(" ") >= _MOST_WORDS:
            return ()  # a sentence under a column that names a category ("talk.religion.misc")
        folded = folded_words(v)
        score = 0.85
        if subtype:
            if subtype != BIOMETRIC and subtype != GENETIC and not any(c.isalpha() for c in v):
                return ()  # a count or an id, not a statement
            if not tokens.isdisjoint(_CODE_FIELDS) and _ICD10.fullmatch(v.upper()) is None:
                return ()
        else:
            subtype = self._vocabulary(tokens, ctx.parent_tokens, folded, v)
            if not subtype and any(c.isalpha() for c in v) and _beside_health(ctx):
                subtype = HEALTH
            if not subtype:
                return ()
            score = 0.8
        off = value.index(v)
        return (Hit(score, folded, subtype, start=off, end=off + len(v)),)

    @staticmethod
    def _answered(tokens: frozenset[str], start: int, n: int) -> tuple[Hit, ...]:
        """A yes under a health field's or a condition's name: the condition (or the
        field's name) is what the value says."""
        said = next((t for t in sorted(tokens) if t in _FLAGS), "")
        if said:
            return (Hit(0.75, _FLAGS[said], HEALTH, start=start, end=start + n),)
        said = next((t for t in sorted(tokens) if _NAMED.get(t) == HEALTH), "")
        return (Hit(0.75, said, HEALTH, start=start, end=start + n),) if said else ()

    @staticmethod
    def _named(tokens: frozenset[str], parent_tokens: frozenset[str]) -> str:
        """The category the field's own name, or its object's name under a member such as
        "name", says whatever the value; "" when neither does."""
        for t in tokens:
            found = _NAMED.get(t)
            if found is not None:
                return found
        if not tokens.isdisjoint(_MEMBER_FIELDS):
            for t in parent_tokens:
                found = _NAMED.get(t)
                if found is not None:
                    return found
        return ""

    @staticmethod
    def _vocabulary(tokens: frozenset[str], parent_tokens: frozenset[str], folded: str, v: str) -> str:
        """Under a name that means other things too, the category when the value is in its
        vocabulary (or, for a condition, an ICD-10 code with its dot)."""
        names = tokens if tokens.isdisjoint(_MEMBER_FIELDS) else tokens | parent_tokens
        for t in names:
            entry = _AMBIGUOUS.get(t)
            if entry is None:
                continue
            subtype, values = entry
            if folded in values or (subtype == HEALTH and _ICD10_DOTTED.fullmatch(v.upper()) is not None):
                return subtype
        return ""


def _beside_health(ctx: Ctx) -> bool:
    """Whether another field of the value's object names health data ({"drug_name": ...,
    "condition": ...}, a pixel's cd[drug] beside its cd[condition])."""
    for sibling in ctx.siblings:
        if sibling is not ctx.seg and any(_NAMED.get(t) == HEALTH for t in sibling.tokens) and \
                _states(sibling.text.strip()):
            return True
    return False


class HealthConditionTextRecognizer(Recognizer):
    """A health condition in free text after a phrase that says someone has it: support
    tickets and AI prompts about patients, members or the writer."""

    name: str = "special_category.condition"
    category: str = Category.SPECIAL_CATEGORY
    patterns: tuple[str, ...] = (
        "(?:" + _CONDITION_CUE + r"[ \t]+" + _CONDITION_ADJECTIVES + "|" + _FR_ES_DE_CUE + r")((?i:" + _CONDITION_WORDS
        + "|" + _EU_CONDITION_WORDS + r"))(?:[^\p{L}\p{N}_]|$)",  # not \b: RE2's is ASCII's ("anxiété,")
        _DE_VERB_LAST,
    )
    # The phrases' stems, in ASCII (the prefilter reads bytes): "diagnostiqué", "sufría".
    prefilter: tuple[str, ...] = (
        _CONDITION_CUE,
        r"(?i)\b(?:atteint|souffr|diagnostiqu|trait\xc3\xa9|vi(?:s|t|vre|vant)[ \t]+avec|diagnosticad|sufr|padec|padezc"
        r"|tratad|viv(?:e|o|en|ir)[ \t]+con|leide|leidet|litt|erkrankt|diagnostiziert|lebe|lebt|behandelt[ \t]+wegen)")
    keywords: tuple[str, ...] = ("diagnos", "suffer", "treat", "living", "positive", "recovering", "history", "med",
                                 "struggling", "atteint", "souffr", "trait", "avec", "sufr", "padec", "padez",
                                 "tratad", "con", "leid", "litt", "erkrankt", "mit", "wegen")
    group: int = 1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        verb_last = _DE_CONDITION.fullmatch(value)
        if verb_last is not None:
            start, end = ctx.start + verb_last.start(1), ctx.start + verb_last.end(1)
            value = verb_last.group(1)
        else:
            start = end = -1
            if ctx.char_after() == "-":
                return None  # "living with HIV-related stigma research": a compound, not the condition
            after = ctx.text[ctx.end:ctx.end + 24].split(None, 1)
            if after and after[0].lower() in _GENERIC_PEOPLE:
                return None  # "treatment for pregnant women": no one in particular
        if not _GENERIC_PEOPLE.isdisjoint(ctx.before()[-6:]):
            return None  # "helps people living with diabetes", "viele Menschen sind an Diabetes erkrankt"
        folded = folded_words(value)
        return Hit(0.8, _EU_CONDITIONS.get(folded, folded), HEALTH, start=start, end=end)


# Where trackers name what a visitor did or looked at: an event's name or label, a page's
# title, a search, a product viewed. A condition there tells the ad network about the
# visitor ("Diabetes Screening Booked", "HIV Test Kit"), as the FTC's GoodRx and Flo
# orders and the HHS tracking-technologies bulletin describe. Whole names only: an
# event's id, time or source URL is no event name.
_EVENT_NAMES: Final = frozenset({
    "event", "eventname", "eventaction", "eventcategory", "eventlabel", "ev", "en", "ea", "ec", "el", "dt",
    "pagetitle", "searchstring", "searchterm", "searchquery", "itemname", "productname", "itemcategory",
    "productcategory", "contentname", "contentcategory",
})
# The custom-data prefixes of the names: Meta's cd[content_name], GA4's ep.search_term.
_EVENT_PREFIXES: Final = ("cd", "ep")
_EVENT_PARENTS: Final = frozenset({"event", "events"})  # GA4's {"events": [{"name": ...}]}
# Conditions that are as often something else in a product or page name: "hearing aids",
# "std::", a swimming stroke, the zodiac's Cancer, a site's COVID-19 notice.
_NOT_IN_EVENTS: Final = frozenset({"aids", "std", "sti", "stroke", "cancer", "covid 19", "weight loss", "hair loss",
                                   "acne", "allergies"})
# Words of an event name however it is written: "DiabetesScreeningBooked", "hiv_test_kit",
# "HIVTestOrdered", "Type 2 Diabetes".
_EVENT_WORD: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def _event_words(v: str) -> list[re.Match[str]]:
    return list(_EVENT_WORD.finditer(v))


# A word before or after that makes it no one's condition.
_NOT_AFTER: Final = frozenset({("great", "depression"), ("economic", "depression"), ("tropical", "depression")})
_NOT_BEFORE: Final = frozenset({("insomnia", "cookies")})
# The words of each condition -> the condition as the vocabulary spells it ("alzheimer s
# disease" -> "alzheimer's disease"), hashed alike wherever it is found.
_EVENT_CONDITIONS: Final = {words: c for c in sorted(_CONDITION_VALUES)
                            if (words := " ".join(m.group().lower() for m in _event_words(c))) not in _NOT_IN_EVENTS}
_EVENT_MOST_WORDS: Final = max(c.count(" ") + 1 for c in _EVENT_CONDITIONS)
_EVENT_FIRST_WORDS: Final = frozenset(c.split()[0] for c in _EVENT_CONDITIONS)  # most words start none


class HealthEventRecognizer(Recognizer):
    """A health condition in what trackers say a visitor did or viewed: an event's name,
    a page's title, a search, a product. Reported at the condition's words."""

    name: str = "special_category.event"
    category: str = Category.SPECIAL_CATEGORY
    field_hints: frozenset[str] = _EVENT_NAMES | {p + n for p in _EVENT_PREFIXES for n in _EVENT_NAMES} | {"name"}

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        whole = max(tokens, key=len, default="")  # "event_id" -> "eventid", not "event"
        return whole in _EVENT_NAMES or (whole[:2] in _EVENT_PREFIXES and whole[2:] in _EVENT_NAMES) or (
            whole == "name" and not parent_tokens.isdisjoint(_EVENT_PARENTS))

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        if len(value) > 160 or ctx.seg.location == Location.TEXT:
            return ()  # long, or a label in a ticket ("Event: Diabetes Awareness Walk"), not a tracker's
        words = _event_words(value)
        if len(words) > 16:
            return ()  # a sentence, not a name
        lower = [m.group().lower() for m in words]
        for i in range(len(words)):
            if lower[i] not in _EVENT_FIRST_WORDS:
                continue
            for n in range(min(_EVENT_MOST_WORDS, len(words) - i), 0, -1):
                phrase = " ".join(lower[i:i + n])
                found = _EVENT_CONDITIONS.get(phrase)
                if found is not None and not (i and (lower[i - 1], phrase) in _NOT_AFTER) and \
                        not (i + n < len(lower) and (phrase, lower[i + n]) in _NOT_BEFORE):
                    return (Hit(0.75, found, HEALTH, start=words[i].start(), end=words[i + n - 1].end()),)
        return ()
