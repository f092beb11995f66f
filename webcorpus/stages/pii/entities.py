"""The entities the PII stage knows, and which of them need a trained spaCy model."""
from __future__ import annotations

#: Found by presidio's pattern and checksum recognizers; a blank spaCy pipeline is enough.
PATTERN_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "IP_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "CRYPTO",
)

#: Found only by a named-entity model (``spacy_model``); a blank pipeline has no NER.
NER_ENTITIES = ("PERSON", "LOCATION")

ALL_ENTITIES = PATTERN_ENTITIES + NER_ENTITIES

BLANK_PIPELINE_NOTE = (
    "without spacy_model, PERSON and LOCATION are not detected (a blank spaCy pipeline has no "
    "named-entity recognizer); EMAIL_ADDRESS, PHONE_NUMBER, IP_ADDRESS, CREDIT_CARD, IBAN_CODE, "
    "US_SSN and CRYPTO are found by patterns and checks"
)
