/*
 * test_sor.c - statements of reasons for the DSA Transparency Database
 * (lib/act/sor.c). The value sets below are written from the database's
 * API documentation (transparency.dsa.ec.europa.eu/page/api-documentation,
 * doc/sor.md), not taken from the library, so that a slip in either shows.
 */
#include <ctype.h>

#include <jansson.h>

#include "../../include/tamis.h"
#include "../test.h"

/* 2024-03-01 12:00:00 UTC and 2024-03-04 09:30:00 UTC. */
#define UPLOADED 1709294400
#define REMOVED 1709544600

/* The typical tamis decision: a video removed after a TCO removal order,
 * found by hash matching, removed by a person. */
static tamis_sor tco_video(void) {
    tamis_sor s = {0};
    static const char *const scope[] = {"DE", "FR"};
    static const char *const keywords[] = {TAMIS_SOR_KEYWORD_TERRORIST_CONTENT};
    s.visibility = TAMIS_SOR_VIS_REMOVED;
    s.ground = TAMIS_SOR_GROUND_ILLEGAL;
    s.legal_ground = "Regulation (EU) 2021/784, Art. 3: removal order of a competent authority";
    s.ground_explanation = "Terrorist content within the meaning of Art. 2(7) of Regulation "
                           "(EU) 2021/784, as the removal order found.";
    s.ground_reference_url = "https://eur-lex.europa.eu/eli/reg/2021/784/oj";
    s.category = TAMIS_SOR_CATEGORY_TERRORISM;
    s.keywords = keywords;
    s.n_keywords = 1;
    s.content_types = TAMIS_SOR_CONTENT_VIDEO;
    s.content_language = "AR";
    s.content_date = UPLOADED;
    s.application_date = REMOVED;
    s.decision_facts = "The video matched item 4411 of hash list tcap-2024 (vPDQ, 97% of "
                       "frames within 31 bits) and was named in removal order "
                       "DE-BKA-2024-117; a reviewer confirmed the match.";
    s.source = TAMIS_SOR_SOURCE_OTHER_NOTIFICATION;
    s.source_identity = "Competent authority of a Member State under Regulation (EU) 2021/784";
    s.automated_detection = 1;
    s.automated_decision = TAMIS_SOR_NOT_AUTOMATED;
    s.territorial_scope = scope;
    s.n_territorial_scope = 2;
    s.puid = "tamis-decision-000123";
    return s;
}

static json_t *to_json(const tamis_sor *s) {
    char *text = NULL;
    tamis_sor_problem p;
    tamis_status st = tamis_sor_to_json(s, &text, &p);
    if (st != TAMIS_OK)
        FAIL("tamis_sor_to_json: %d, %s: %s", st, p.field, p.message);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    free(text);
    ASSERT(o);
    return o;
}

static void assert_field(json_t *o, const char *key, const char *want) {
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        FAIL("%s: not a string", key);
    ASSERT_STR_EQ(json_string_value(v), want);
}

static void assert_array(json_t *o, const char *key, const char *const *want, size_t n) {
    json_t *v = json_object_get(o, key);
    if (!json_is_array(v))
        FAIL("%s: not an array", key);
    ASSERT_EQ(json_array_size(v), n);
    for (size_t i = 0; i < n; i++)
        ASSERT_STR_EQ(json_string_value(json_array_get(v, i)), want[i]);
}

TEST(golden_tco_removal_of_a_video_field_by_field) {
    tamis_sor s = tco_video();
    json_t *o = to_json(&s);
    static const char *const vis[] = {"DECISION_VISIBILITY_CONTENT_REMOVED"};
    static const char *const ct[] = {"CONTENT_TYPE_VIDEO"};
    static const char *const kw[] = {"KEYWORD_TERRORIST_CONTENT"};
    static const char *const scope[] = {"DE", "FR"};
    assert_array(o, "decision_visibility", vis, 1);
    assert_field(o, "decision_ground", "DECISION_GROUND_ILLEGAL_CONTENT");
    assert_field(o, "illegal_content_legal_ground", s.legal_ground);
    assert_field(o, "illegal_content_explanation", s.ground_explanation);
    assert_field(o, "decision_ground_reference_url",
                 "https://eur-lex.europa.eu/eli/reg/2021/784/oj");
    assert_field(o, "category", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY");
    assert_array(o, "category_specification", kw, 1);
    assert_array(o, "content_type", ct, 1);
    assert_field(o, "content_language", "AR");
    assert_field(o, "content_date", "2024-03-01");
    assert_field(o, "application_date", "2024-03-04");
    assert_field(o, "decision_facts", s.decision_facts);
    assert_field(o, "source_type", "SOURCE_TYPE_OTHER_NOTIFICATION");
    assert_field(o, "source_identity", s.source_identity);
    assert_field(o, "automated_detection", "Yes");
    assert_field(o, "automated_decision", "AUTOMATED_DECISION_NOT_AUTOMATED");
    assert_array(o, "territorial_scope", scope, 2);
    assert_field(o, "puid", "tamis-decision-000123");
    /* Nothing else: no fields of the other ground, no empty optional ones. */
    ASSERT_EQ(json_object_size(o), 18);
    json_decref(o);
}

TEST(golden_json_validates_and_minimal_statement_suffices) {
    tamis_sor s = tco_video();
    char *text = NULL;
    tamis_sor_problem p;
    ASSERT_OK(tamis_sor_to_json(&s, &text, &p));
    ASSERT_OK(tamis_sor_validate_json(text, strlen(text), &p));
    ASSERT_EQ(p.index, -1);
    free(text);
    /* Only what is required. */
    tamis_sor m = {0};
    m.visibility = TAMIS_SOR_VIS_DISABLED;
    m.ground = TAMIS_SOR_GROUND_INCOMPATIBLE;
    m.legal_ground = "Terms of service, section 4 (violent extremism)";
    m.ground_explanation = "Propaganda of a designated terrorist organisation.";
    m.category = TAMIS_SOR_CATEGORY_VIOLENCE;
    m.content_types = TAMIS_SOR_CONTENT_IMAGE;
    m.content_date = UPLOADED;
    m.application_date = REMOVED;
    m.decision_facts = "Matched a shared hash list at distance 4.";
    m.source = TAMIS_SOR_SOURCE_VOLUNTARY;
    m.automated_decision = TAMIS_SOR_FULLY_AUTOMATED;
    m.automated_detection = 1;
    m.puid = "x";
    json_t *o = to_json(&m);
    assert_field(o, "incompatible_content_ground", m.legal_ground);
    assert_field(o, "incompatible_content_explanation", m.ground_explanation);
    assert_field(o, "decision_ground", "DECISION_GROUND_INCOMPATIBLE_CONTENT");
    assert_field(o, "source_type", "SOURCE_VOLUNTARY");
    assert_field(o, "automated_decision", "AUTOMATED_DECISION_FULLY");
    ASSERT(!json_object_get(o, "illegal_content_legal_ground"));
    ASSERT(!json_object_get(o, "territorial_scope"));
    json_decref(o);
}

/* ---- the JSON validator, one field changed at a time ------------------ */

static char *golden_text(void) {
    tamis_sor s = tco_video();
    char *text = NULL;
    tamis_sor_problem p;
    ASSERT_OK(tamis_sor_to_json(&s, &text, &p));
    return text;
}

/* Validates the golden statement with `key` set to `v` (NULL: removed);
 * the status, and the problem in *p. Steals v. */
static tamis_status with(const char *key, json_t *v, tamis_sor_problem *p) {
    char *text = golden_text();
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    if (v)
        json_object_set_new(o, key, v);
    else
        json_object_del(o, key);
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    tamis_status st = tamis_sor_validate_json(text, strlen(text), p);
    free(text);
    return st;
}

static void accepted(const char *key, json_t *v) {
    tamis_sor_problem p;
    char *shown = json_dumps(v, JSON_ENCODE_ANY);
    tamis_status st = with(key, v, &p);
    if (st != TAMIS_OK)
        FAIL("%s = %s refused: %s: %s", key, shown, p.field, p.message);
    free(shown);
}

static void refused(const char *key, json_t *v, const char *field) {
    tamis_sor_problem p;
    char *shown = json_dumps(v, JSON_ENCODE_ANY);
    tamis_status st = with(key, v, &p);
    if (st != TAMIS_ERR_INVALID)
        FAIL("%s = %s accepted (%d)", key, shown, st);
    free(shown);
    ASSERT_STR_EQ(p.field, field);
    ASSERT(p.message[0]);
}

static json_t *one(const char *s) {
    json_t *a = json_array();
    json_array_append_new(a, json_string(s));
    return a;
}

/* Each value of `set` accepted for `key` (as a string, or as a one-element
 * array if `array`), and names that are not in it refused. */
static void enumeration(const char *key, int array, const char *const *set) {
    for (size_t i = 0; set[i]; i++)
        accepted(key, array ? one(set[i]) : json_string(set[i]));
    static const char *const bad[] = {"", "OTHER", "yes", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        refused(key, array ? one(bad[i]) : json_string(bad[i]), key);
    /* Lower case, and the webform's label instead of the API's name. */
    char lower[128];
    snprintf(lower, sizeof lower, "%s", set[0]);
    for (char *c = lower; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (strcmp(lower, set[0]) != 0)
        refused(key, array ? one(lower) : json_string(lower), key);
    refused(key, json_integer(1), key);
}

static const char *const DOC_VISIBILITY[] = {
    "DECISION_VISIBILITY_CONTENT_REMOVED", "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED", NULL};
static const char *const DOC_MONETARY[] = {"DECISION_MONETARY_SUSPENSION",
                                           "DECISION_MONETARY_TERMINATION", NULL};
static const char *const DOC_PROVISION[] = {
    "DECISION_PROVISION_PARTIAL_SUSPENSION", "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION", "DECISION_PROVISION_TOTAL_TERMINATION", NULL};
static const char *const DOC_ACCOUNT[] = {"DECISION_ACCOUNT_SUSPENDED",
                                          "DECISION_ACCOUNT_TERMINATED", NULL};
static const char *const DOC_ACCOUNT_TYPE[] = {"ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE",
                                               NULL};
static const char *const DOC_CONTENT_TYPE[] = {
    "CONTENT_TYPE_APP",  "CONTENT_TYPE_AUDIO", "CONTENT_TYPE_IMAGE", "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO", NULL};
static const char *const DOC_CATEGORY[] = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
    NULL};
/* The API documentation's list of category_specification values, and
 * KEYWORD_STALKING, which the database's validator takes though the list
 * lacks it. */
static const char *const DOC_KEYWORD[] = {
    "KEYWORD_ANIMAL_HARM", "KEYWORD_ADULT_SEXUAL_MATERIAL", "KEYWORD_AGE_SPECIFIC_RESTRICTIONS",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS", "KEYWORD_BIOMETRIC_DATA_BREACH",
    "KEYWORD_BULLYING_AGAINST_GIRLS", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE", "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS",
    "KEYWORD_COORDINATED_HARM", "KEYWORD_COPYRIGHT_INFRINGEMENT",
    "KEYWORD_CYBER_BULLYING_INTIMIDATION", "KEYWORD_CYBER_HARASSMENT",
    "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN", "KEYWORD_CYBER_INCITEMENT",
    "KEYWORD_CYBER_STALKING", "KEYWORD_CYBER_STALKING_AGAINST_WOMEN",
    "KEYWORD_DATA_FALSIFICATION", "KEYWORD_DEFAMATION", "KEYWORD_DESIGN_INFRINGEMENT",
    "KEYWORD_DISCRIMINATION", "KEYWORD_MISINFORMATION_DISINFORMATION",
    "KEYWORD_FEMALE_GENDERED_DISINFORMATION", "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
    "KEYWORD_GEOGRAPHICAL_REQUIREMENTS", "KEYWORD_GOODS_SERVICES_NOT_PERMITTED",
    "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS", "KEYWORD_HATE_SPEECH",
    "KEYWORD_HIDDEN_ADVERTISEMENT", "KEYWORD_HUMAN_EXPLOITATION", "KEYWORD_HUMAN_TRAFFICKING",
    "KEYWORD_ILLEGAL_ORGANIZATIONS", "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",
    "KEYWORD_INAUTHENTIC_ACCOUNTS", "KEYWORD_INAUTHENTIC_LISTINGS",
    "KEYWORD_INAUTHENTIC_USER_REVIEWS", "KEYWORD_INCITEMENT_AGAINST_WOMEN",
    "KEYWORD_INCITEMENT_VIOLENCE_HATRED", "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS",
    "KEYWORD_LANGUAGE_REQUIREMENTS", "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS",
    "KEYWORD_MISLEADING_INFO_GOODS_SERVICES", "KEYWORD_MISSING_PROCESSING_GROUND",
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING", "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN", "KEYWORD_NONCOMPLIANCE_PRICING",
    "KEYWORD_NUDITY", "KEYWORD_PATENT_INFRINGEMENT", "KEYWORD_PHISHING",
    "KEYWORD_PROHIBITED_PRODUCTS", "KEYWORD_PYRAMID_SCHEMES", "KEYWORD_RIGHT_TO_BE_FORGOTTEN",
    "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE", "KEYWORD_RISK_PUBLIC_HEALTH",
    "KEYWORD_SELF_MUTILATION", "KEYWORD_STALKING", "KEYWORD_SUICIDE",
    "KEYWORD_TERRORIST_CONTENT", "KEYWORD_TRADE_SECRET_INFRINGEMENT",
    "KEYWORD_TRADEMARK_INFRINGEMENT", "KEYWORD_TRAFFICKING_WOMEN_GIRLS",
    "KEYWORD_UNLAWFUL_SALE_ANIMALS", "KEYWORD_UNSAFE_CHALLENGES", "KEYWORD_UNSAFE_PRODUCTS",
    "KEYWORD_VIOLATION_EU_LAW", "KEYWORD_VIOLATION_NATIONAL_LAW", "KEYWORD_OTHER", NULL};
static const char *const DOC_SOURCE[] = {"SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER",
                                         "SOURCE_TYPE_OTHER_NOTIFICATION", NULL};
static const char *const DOC_AUTOMATED_DECISION[] = {
    "AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED", NULL};
static const char *const DOC_YES_NO[] = {"Yes", "No", NULL};
static const char *const DOC_COUNTRIES[] = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
    NULL};

TEST(enumerations_decision_visibility_and_restrictions) {
    enumeration("decision_visibility", 1, DOC_VISIBILITY);
    enumeration("decision_monetary", 0, DOC_MONETARY);
    enumeration("decision_provision", 0, DOC_PROVISION);
    enumeration("decision_account", 0, DOC_ACCOUNT);
    enumeration("account_type", 0, DOC_ACCOUNT_TYPE);
    /* The webform's label is not the API's value. */
    refused("decision_visibility", one("Removal of content"), "decision_visibility");
    refused("decision_visibility", json_string("DECISION_VISIBILITY_CONTENT_REMOVED"),
            "decision_visibility");
}

TEST(enumerations_ground_category_keywords) {
    enumeration("decision_ground", 0,
                (const char *const[]){"DECISION_GROUND_ILLEGAL_CONTENT", NULL});
    enumeration("category", 0, DOC_CATEGORY);
    enumeration("category_addition", 1, DOC_CATEGORY);
    enumeration("category_specification", 1, DOC_KEYWORD);
    /* Values of API v1 that the schema of 1 July 2025 dropped. */
    refused("category", json_string("STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT"),
            "category");
    refused("category", json_string("STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"),
            "category");
    refused("category_specification", one("KEYWORD_DISINFORMATION"), "category_specification");
    refused("category_specification", one("KEYWORD_DANGEROUS_TOYS"), "category_specification");
    refused("category", NULL, "category");
}

TEST(enumerations_content_source_automation_scope_language) {
    enumeration("content_type", 1, DOC_CONTENT_TYPE);
    refused("content_type", one("CONTENT_TYPE_URL"), "content_type");
    refused("content_type", json_array(), "content_type");
    refused("content_type", NULL, "content_type");
    enumeration("source_type", 0, DOC_SOURCE);
    enumeration("automated_detection", 0, DOC_YES_NO);
    refused("automated_detection", json_true(), "automated_detection");
    enumeration("automated_decision", 0, DOC_AUTOMATED_DECISION);
    refused("automated_decision", json_string("Yes"), "automated_decision");
    enumeration("territorial_scope", 1, DOC_COUNTRIES);
    refused("territorial_scope", one("EL"), "territorial_scope"); /* Greece is GR */
    refused("territorial_scope", one("GB"), "territorial_scope");
    refused("territorial_scope", one("CH"), "territorial_scope");
    refused("territorial_scope", one("de"), "territorial_scope");
    /* ISO 639-1, upper case. */
    static const char *const langs[] = {"EN", "FR", "DE", "AR", "EL", "GA", "UK", "ZH", "BH",
                                        NULL};
    for (size_t i = 0; langs[i]; i++)
        accepted("content_language", json_string(langs[i]));
    refused("content_language", json_string("en"), "content_language");
    refused("content_language", json_string("ENG"), "content_language");
    refused("content_language", json_string("XX"), "content_language");
    refused("content_language", json_string("GR"), "content_language"); /* a country */
}

/* ---- conditional rules --------------------------------------------------- */

TEST(illegal_ground_needs_its_legal_ground_and_explanation) {
    refused("illegal_content_legal_ground", NULL, "illegal_content_legal_ground");
    refused("illegal_content_legal_ground", json_string("   "), "illegal_content_legal_ground");
    refused("illegal_content_explanation", NULL, "illegal_content_explanation");
    /* The other ground's fields are not taken with this one. */
    refused("incompatible_content_ground", json_string("ToS 4"), "incompatible_content_ground");
    refused("incompatible_content_illegal", json_string("Yes"), "incompatible_content_illegal");
    accepted("incompatible_content_ground", json_null());

    tamis_sor s = tco_video();
    tamis_sor_problem p;
    s.legal_ground = NULL;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "illegal_content_legal_ground");
    s = tco_video();
    s.ground_explanation = "";
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "illegal_content_explanation");
    s = tco_video();
    s.incompatible_illegal = TAMIS_SOR_YES;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "incompatible_content_illegal");
    s = tco_video();
    s.ground = 0;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "decision_ground");
    s.ground = 3;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "decision_ground");
}

TEST(incompatible_ground_needs_its_fields) {
    tamis_sor s = tco_video();
    tamis_sor_problem p;
    s.ground = TAMIS_SOR_GROUND_INCOMPATIBLE;
    s.incompatible_illegal = TAMIS_SOR_YES;
    json_t *o = to_json(&s);
    assert_field(o, "incompatible_content_ground", s.legal_ground);
    assert_field(o, "incompatible_content_illegal", "Yes");
    ASSERT(!json_object_get(o, "illegal_content_legal_ground"));
    json_decref(o);
    s.ground_explanation = NULL;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "incompatible_content_explanation");
    s.ground_explanation = "x";
    s.legal_ground = NULL;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "incompatible_content_ground");
}

TEST(at_least_one_restriction_and_the_other_fields) {
    tamis_sor s = tco_video();
    tamis_sor_problem p;
    s.visibility = 0;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "decision_visibility");
    s.account = TAMIS_SOR_ACCOUNT_SUSPENDED; /* any one of the four will do */
    ASSERT_OK(tamis_sor_validate(&s, &p));
    s.account = 0;
    s.provision = TAMIS_SOR_PROVISION_TOTAL_TERMINATION;
    ASSERT_OK(tamis_sor_validate(&s, &p));
    s.provision = 0;
    s.monetary = TAMIS_SOR_MONETARY_OTHER;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "decision_monetary_other");
    s.monetary_other = "Withheld payouts";
    ASSERT_OK(tamis_sor_validate(&s, &p));

    s = tco_video();
    s.visibility = TAMIS_SOR_VIS_REMOVED | TAMIS_SOR_VIS_OTHER;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "decision_visibility_other");
    s.visibility_other = "Hash added to the upload filter";
    ASSERT_OK(tamis_sor_validate(&s, &p));
    s.visibility = TAMIS_SOR_VIS_REMOVED; /* an _other without OTHER */
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "decision_visibility_other");
    s.visibility = 1u << 7;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "decision_visibility");

    s = tco_video();
    s.content_types = TAMIS_SOR_CONTENT_OTHER;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "content_type_other");
    s.content_type_other = "URL";
    ASSERT_OK(tamis_sor_validate(&s, &p));
    s.content_types = 0;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "content_type");

    s = tco_video();
    s.source = TAMIS_SOR_SOURCE_VOLUNTARY; /* source_identity is not taken then */
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "source_identity");
    s.source_identity = NULL;
    ASSERT_OK(tamis_sor_validate(&s, &p));
    s.source = 0;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "source_type");

    s = tco_video();
    s.automated_decision = 0;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "automated_decision");

    refused("category_specification_other", json_string("x"), "category_specification_other");
    refused("decision_facts", NULL, "decision_facts");
    refused("content_id", json_pack("{s:s}", "EAN-13", "123"), "content_id");
    accepted("content_id", json_pack("{s:s}", "EAN-13", "0123456789123"));
    refused("content_id", json_pack("{s:s}", "ISBN", "0123456789123"), "content_id");
    refused("platform_name", json_string("x"), "platform_name");
    refused("decision_ground_reference_url", json_string("eur-lex.europa.eu"),
            "decision_ground_reference_url");
}

TEST(puid_and_lengths) {
    accepted("puid", json_string("A-z_09"));
    refused("puid", json_string("has space"), "puid");
    refused("puid", json_string("a/b"), "puid");
    refused("puid", json_string("é"), "puid");
    refused("puid", json_string(""), "puid");
    refused("puid", NULL, "puid");
    char buf[6000];
    memset(buf, 'a', 501);
    buf[501] = '\0';
    refused("puid", json_string(buf), "puid");
    buf[500] = '\0';
    accepted("puid", json_string(buf));
    /* Lengths count characters: 500 two-byte letters fit in 500. */
    char wide[1100] = "";
    for (int i = 0; i < 500; i++)
        strcat(wide, "\xc3\xa9");
    accepted("illegal_content_legal_ground", json_string(wide));
    strcat(wide, "\xc3\xa9");
    refused("illegal_content_legal_ground", json_string(wide), "illegal_content_legal_ground");
    memset(buf, 'a', 5000);
    buf[5000] = '\0';
    accepted("decision_facts", json_string(buf));
    strcat(buf, "a");
    refused("decision_facts", json_string(buf), "decision_facts");
    memset(buf, 'a', 2001);
    buf[2001] = '\0';
    refused("illegal_content_explanation", json_string(buf), "illegal_content_explanation");
    buf[2000] = '\0';
    accepted("illegal_content_explanation", json_string(buf));
}

/* ---- dates ---------------------------------------------------------------- */

TEST(dates_are_utc_days_within_the_schema_ranges) {
    tamis_sor s = tco_video();
    tamis_sor_problem p;
    s.content_date = 1709337599; /* 2024-03-01 23:59:59 UTC */
    s.application_date = 1709337600;
    json_t *o = to_json(&s);
    assert_field(o, "content_date", "2024-03-01");
    assert_field(o, "application_date", "2024-03-02");
    json_decref(o);
    s.content_date = 946684800; /* 2000-01-01, the earliest */
    s.application_date = 1577836800; /* 2020-01-01, the earliest */
    ASSERT_OK(tamis_sor_validate(&s, &p));
    s.content_date = 946684799;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "content_date");
    s.content_date = UPLOADED;
    s.application_date = 1577836799;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "application_date");
    s.application_date = 2145916800; /* 2038-01-01, the latest */
    ASSERT_OK(tamis_sor_validate(&s, &p));
    s.application_date = 2145916800 + 86400;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "application_date");
    s.application_date = 0;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "application_date");
    s.application_date = REMOVED;
    s.content_date = 0;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "content_date");
    s.content_date = -99999999999999LL;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "content_date");

    /* An end date may not come before the application date. */
    s = tco_video();
    s.end_date_visibility = REMOVED - 86400;
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "end_date_visibility_restriction");
    s.end_date_visibility = REMOVED + 30 * 86400;
    o = to_json(&s);
    assert_field(o, "end_date_visibility_restriction", "2024-04-03");
    json_decref(o);

    accepted("content_date", json_string("2024-02-29"));
    refused("content_date", json_string("2023-02-29"), "content_date");
    refused("content_date", json_string("2023-02-30"), "content_date");
    refused("content_date", json_string("2023-13-01"), "content_date");
    refused("content_date", json_string("2023-1-01"), "content_date");
    refused("content_date", json_string("01-03-2024"), "content_date");
    refused("content_date", json_string("2024-03-01T10:00:00Z"), "content_date");
    refused("content_date", json_string("2024/03/01"), "content_date");
    refused("content_date", json_integer(1709294400), "content_date");
    refused("end_date_account_restriction", json_string("2038-01-02"),
            "end_date_account_restriction");
    accepted("end_date_service_restriction", json_null());
}

/* ---- personal data --------------------------------------------------------- */

static void facts_refused(const char *facts, const char *kind) {
    tamis_sor s = tco_video();
    tamis_sor_problem p;
    s.decision_facts = facts;
    tamis_status st = tamis_sor_validate(&s, &p);
    if (st != TAMIS_ERR_INVALID)
        FAIL("accepted: %s", facts);
    ASSERT_STR_EQ(p.field, "decision_facts");
    if (!strstr(p.message, kind) || !strstr(p.message, "personal data"))
        FAIL("message for \"%s\": %s", facts, p.message);
}

static void facts_accepted(const char *facts) {
    tamis_sor s = tco_video();
    tamis_sor_problem p;
    s.decision_facts = facts;
    if (tamis_sor_validate(&s, &p) != TAMIS_OK)
        FAIL("refused \"%s\": %s", facts, p.message);
}

TEST(personal_data_is_refused_with_a_clear_error) {
    facts_refused("Uploaded by jane.doe@example.org after a warning.", "e-mail address");
    facts_refused("contact: x+tag@mail.example.co.uk.", "e-mail address");
    facts_refused("Uploaded from 203.0.113.7 at night.", "IP address");
    facts_refused("Uploaded from 10.0.0.1.", "IP address");
    facts_refused("Source 2001:db8::8a2e:370:7334 seen.", "IP address");
    facts_refused("via ::ffff:192.0.2.1", "IP address");
    facts_refused("Caller +49 30 1234567 reported it.", "phone number");
    facts_refused("tel. +33612345678", "phone number");
    facts_refused("tel 06 12 34 56 78", "phone number");
    facts_refused("tel (030) 123 4567", "phone number");
    facts_refused("0171/1234567", "phone number");
    /* Other free texts are checked too. */
    tamis_sor s = tco_video();
    tamis_sor_problem p;
    s.source_identity = "Officer reachable at officer@police.example";
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "source_identity");
    refused("illegal_content_explanation", json_string("see 198.51.100.23"),
            "illegal_content_explanation");

    const char *what = NULL;
    size_t off = 0;
    ASSERT_EQ(tamis_sor_find_personal_data("ab a@b.cd", 9, &what, &off), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(what, "an e-mail address");
    ASSERT_EQ(off, 3);
}

TEST(ordinary_facts_are_not_taken_for_personal_data) {
    facts_accepted("Regulation (EU) 2021/784, Art. 3(1); order 2024/117 of 01.03.2024 10:15.");
    facts_accepted("Removed on 2024-03-04 at 09:30:00 UTC, order received 08:45.");
    facts_accepted("PDQ f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 "
                   "at distance 4, quality 100; vPDQ 97.5% of 120 frames.");
    facts_accepted("Bank item 1234567890, version 1.2.3, frames 10:20:30.");
    facts_accepted("Reference TCO-2024-000123 from the authority @ the portal.");
    facts_accepted("Matched 3 items; 12 345 678 uploads scanned.");
    facts_accepted("Named in order DE-BKA-2024-117; see https://example.org/a/b.");
}

/* ---- batches ---------------------------------------------------------------- */

TEST(batches_hold_1_to_100_statements_with_distinct_puids) {
    static tamis_sor s[101];
    static char puids[101][32];
    for (int i = 0; i < 101; i++) {
        s[i] = tco_video();
        snprintf(puids[i], sizeof puids[i], "tamis-%d", i);
        s[i].puid = puids[i];
    }
    char *json = (char *)1;
    tamis_sor_problem p;
    ASSERT_EQ(tamis_sor_batch_to_json(s, 0, &json, &p), TAMIS_ERR_INVALID);
    ASSERT(json == NULL);
    ASSERT_STR_EQ(p.field, "statements");
    ASSERT_EQ(tamis_sor_batch_to_json(s, 101, &json, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "statements");

    ASSERT_OK(tamis_sor_batch_to_json(s, 1, &json, &p));
    json_t *b = json_loads(json, 0, NULL);
    ASSERT(b);
    ASSERT_EQ(json_object_size(b), 1);
    ASSERT_EQ(json_array_size(json_object_get(b, "statements")), 1);
    json_decref(b);
    free(json);

    ASSERT_OK(tamis_sor_batch_to_json(s, 100, &json, &p));
    b = json_loads(json, 0, NULL);
    json_t *a = json_object_get(b, "statements");
    ASSERT_EQ(json_array_size(a), 100);
    assert_field(json_array_get(a, 99), "puid", "tamis-99");
    assert_field(json_array_get(a, 0), "decision_ground", "DECISION_GROUND_ILLEGAL_CONTENT");
    ASSERT_OK(tamis_sor_validate_batch_json(json, strlen(json), &p));
    /* 101 in JSON is refused too, and so is an empty list. */
    json_array_append(a, json_array_get(a, 0));
    char *big = json_dumps(b, JSON_COMPACT);
    ASSERT_EQ(tamis_sor_validate_batch_json(big, strlen(big), &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "statements");
    free(big);
    json_decref(b);
    free(json);
    const char *empty = "{\"statements\": []}";
    ASSERT_EQ(tamis_sor_validate_batch_json(empty, strlen(empty), &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "statements");

    /* The failing statement is named by its index. */
    s[7].puid = "tamis-3";
    ASSERT_EQ(tamis_sor_batch_to_json(s, 10, &json, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "puid");
    ASSERT_EQ(p.index, 7);
    s[7].puid = puids[7];
    s[5].category = "STATEMENT_CATEGORY_TERRORISM";
    ASSERT_EQ(tamis_sor_batch_to_json(s, 10, &json, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "category");
    ASSERT_EQ(p.index, 5);
    ASSERT(json == NULL);
}

TEST(json_that_is_not_a_statement_is_refused) {
    tamis_sor_problem p;
    ASSERT_EQ(tamis_sor_validate_json("", 0, &p), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_sor_validate_json("[]", 2, &p), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_sor_validate_json("{", 1, &p), TAMIS_ERR_INVALID);
    const char *dup = "{\"puid\":\"a\",\"puid\":\"b\"}";
    ASSERT_EQ(tamis_sor_validate_json(dup, strlen(dup), &p), TAMIS_ERR_INVALID);
    const char *single = "{\"statements\":{}}";
    ASSERT_EQ(tamis_sor_validate_batch_json(single, strlen(single), &p), TAMIS_ERR_INVALID);
    /* A NULL problem is allowed. */
    ASSERT_EQ(tamis_sor_validate_json("{}", 2, NULL), TAMIS_ERR_INVALID);
    tamis_sor s = tco_video();
    s.decision_facts = "bad \xff utf-8";
    ASSERT_EQ(tamis_sor_validate(&s, &p), TAMIS_ERR_INVALID);
    ASSERT_STR_EQ(p.field, "decision_facts");
    ASSERT_EQ(tamis_sor_validate(NULL, &p), TAMIS_ERR_INVALID);
}
