/*
 * sor.c - statements of reasons (DSA Art. 17, 24(5)) for the EU's DSA
 * Transparency Database: a tamis_sor written as the JSON object its API
 * takes, the database's validation rules applied to such objects, and
 * batches for its multiple-statements endpoint.
 *
 * One set of rules serves both directions: a tamis_sor is first turned
 * into a JSON object, then checked by the same code that checks JSON
 * written elsewhere. The rules, the value sets and their sources are in
 * doc/sor.md; where the database's documentation and its validator
 * differ, the stricter of the two is applied and the difference is noted
 * there.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../common/common.h"

/* ---- the schema's value sets ------------------------------------------ */

static const char *const VISIBILITIES[] = {
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
    NULL};

static const char *const MONETARIES[] = {
    "DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION",
    "DECISION_MONETARY_OTHER", NULL};

static const char *const PROVISIONS[] = {
    "DECISION_PROVISION_PARTIAL_SUSPENSION", "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION", "DECISION_PROVISION_TOTAL_TERMINATION",
    NULL};

static const char *const ACCOUNTS[] = {
    "DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED", NULL};

static const char *const ACCOUNT_TYPES[] = {
    "ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE", NULL};

static const char *const GROUNDS[] = {
    "DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT", NULL};

static const char *const YES_NO[] = {"Yes", "No", NULL};

static const char *const CONTENT_TYPES[] = {
    "CONTENT_TYPE_APP",     "CONTENT_TYPE_AUDIO", "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT", "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",    "CONTENT_TYPE_VIDEO", "CONTENT_TYPE_OTHER",
    NULL};

static const char *const CATEGORIES[] = {
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

/* category_specification, grouped as the database's explanation page
 * groups them under their categories. */
static const char *const KEYWORDS[] = {
    "KEYWORD_ANIMAL_HARM", "KEYWORD_UNLAWFUL_SALE_ANIMALS",
    "KEYWORD_HIDDEN_ADVERTISEMENT", "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS",
    "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS", "KEYWORD_MISLEADING_INFO_GOODS_SERVICES",
    "KEYWORD_NONCOMPLIANCE_PRICING",
    "KEYWORD_CYBER_BULLYING_INTIMIDATION", "KEYWORD_CYBER_HARASSMENT",
    "KEYWORD_CYBER_INCITEMENT", "KEYWORD_CYBER_STALKING",
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING", "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",
    "KEYWORD_BULLYING_AGAINST_GIRLS", "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN",
    "KEYWORD_CYBER_STALKING_AGAINST_WOMEN", "KEYWORD_FEMALE_GENDERED_DISINFORMATION",
    "KEYWORD_INCITEMENT_AGAINST_WOMEN", "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
    "KEYWORD_BIOMETRIC_DATA_BREACH", "KEYWORD_DATA_FALSIFICATION",
    "KEYWORD_MISSING_PROCESSING_GROUND", "KEYWORD_RIGHT_TO_BE_FORGOTTEN",
    "KEYWORD_DEFAMATION", "KEYWORD_DISCRIMINATION", "KEYWORD_HATE_SPEECH",
    "KEYWORD_COPYRIGHT_INFRINGEMENT", "KEYWORD_DESIGN_INFRINGEMENT",
    "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT", "KEYWORD_PATENT_INFRINGEMENT",
    "KEYWORD_TRADE_SECRET_INFRINGEMENT", "KEYWORD_TRADEMARK_INFRINGEMENT",
    "KEYWORD_MISINFORMATION_DISINFORMATION", "KEYWORD_VIOLATION_EU_LAW",
    "KEYWORD_VIOLATION_NATIONAL_LAW",
    "KEYWORD_ADULT_SEXUAL_MATERIAL", "KEYWORD_AGE_SPECIFIC_RESTRICTIONS",
    "KEYWORD_GEOGRAPHICAL_REQUIREMENTS", "KEYWORD_GOODS_SERVICES_NOT_PERMITTED",
    "KEYWORD_LANGUAGE_REQUIREMENTS", "KEYWORD_NUDITY",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
    "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS", "KEYWORD_UNSAFE_CHALLENGES",
    "KEYWORD_ILLEGAL_ORGANIZATIONS", "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE",
    "KEYWORD_RISK_PUBLIC_HEALTH", "KEYWORD_TERRORIST_CONTENT",
    "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING", "KEYWORD_INAUTHENTIC_ACCOUNTS",
    "KEYWORD_INAUTHENTIC_LISTINGS", "KEYWORD_INAUTHENTIC_USER_REVIEWS",
    "KEYWORD_PHISHING", "KEYWORD_PYRAMID_SCHEMES",
    "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS", "KEYWORD_SELF_MUTILATION",
    "KEYWORD_SUICIDE",
    "KEYWORD_PROHIBITED_PRODUCTS", "KEYWORD_UNSAFE_PRODUCTS",
    "KEYWORD_COORDINATED_HARM", "KEYWORD_INCITEMENT_VIOLENCE_HATRED",
    "KEYWORD_HUMAN_EXPLOITATION", "KEYWORD_HUMAN_TRAFFICKING",
    "KEYWORD_TRAFFICKING_WOMEN_GIRLS",
    "KEYWORD_OTHER",
    /* Accepted by the database's validator though in neither its
     * documentation's list nor its category tree. */
    "KEYWORD_STALKING",
    NULL};

static const char *const SOURCES[] = {
    "SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION",
    "SOURCE_VOLUNTARY", NULL};

static const char *const AUTOMATED_DECISIONS[] = {
    "AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED", NULL};

/* The 27 EU Member States and the three other EEA states (IS, LI, NO),
 * as ISO 3166-1 alpha-2 codes; Greece is GR here, not the EU's EL. */
static const char *const COUNTRIES[] = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI",
    "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU",
    "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
    NULL};

/* ISO 639-1, upper case as the database wants it (with BH, Bihari, which
 * the standard has since withdrawn but the database still lists). */
static const char *const LANGUAGES[] = {
    "AA", "AB", "AE", "AF", "AK", "AM", "AN", "AR", "AS", "AV", "AY", "AZ",
    "BA", "BE", "BG", "BH", "BI", "BM", "BN", "BO", "BR", "BS",
    "CA", "CE", "CH", "CO", "CR", "CS", "CU", "CV", "CY",
    "DA", "DE", "DV", "DZ", "EE", "EL", "EN", "EO", "ES", "ET", "EU",
    "FA", "FF", "FI", "FJ", "FO", "FR", "FY", "GA", "GD", "GL", "GN", "GU", "GV",
    "HA", "HE", "HI", "HO", "HR", "HT", "HU", "HY", "HZ",
    "IA", "ID", "IE", "IG", "II", "IK", "IO", "IS", "IT", "IU",
    "JA", "JV", "KA", "KG", "KI", "KJ", "KK", "KL", "KM", "KN", "KO", "KR",
    "KS", "KU", "KV", "KW", "KY", "LA", "LB", "LG", "LI", "LN", "LO", "LT",
    "LU", "LV", "MG", "MH", "MI", "MK", "ML", "MN", "MR", "MS", "MT", "MY",
    "NA", "NB", "ND", "NE", "NG", "NL", "NN", "NO", "NR", "NV", "NY",
    "OC", "OJ", "OM", "OR", "OS", "PA", "PI", "PL", "PS", "PT", "QU",
    "RM", "RN", "RO", "RU", "RW", "SA", "SC", "SD", "SE", "SG", "SI", "SK",
    "SL", "SM", "SN", "SO", "SQ", "SR", "SS", "ST", "SU", "SV", "SW",
    "TA", "TE", "TG", "TH", "TI", "TK", "TL", "TN", "TO", "TR", "TS", "TT",
    "TW", "TY", "UG", "UK", "UR", "UZ", "VE", "VI", "VO", "WA", "WO",
    "XH", "YI", "YO", "ZA", "ZH", "ZU",
    NULL};

/* Every key a statement may have, in the order the API documentation
 * describes them (the order tamis writes and checks them in). */
static const char *const KEYS[] = {
    "decision_visibility", "decision_visibility_other", "decision_monetary",
    "decision_monetary_other", "decision_provision", "decision_account",
    "account_type", "decision_facts", "decision_ground",
    "decision_ground_reference_url", "illegal_content_legal_ground",
    "illegal_content_explanation", "incompatible_content_ground",
    "incompatible_content_explanation", "incompatible_content_illegal",
    "content_type", "content_type_other", "category", "category_addition",
    "category_specification", "category_specification_other", "content_id",
    "territorial_scope", "content_language", "content_date", "application_date",
    "end_date_account_restriction", "end_date_monetary_restriction",
    "end_date_service_restriction", "end_date_visibility_restriction",
    "source_type", "source_identity", "automated_detection", "automated_decision",
    "puid", NULL};

/* Limits of the free texts, in characters (Laravel's max: counts them). */
#define SHORT_TEXT_MAX 500
#define EXPLANATION_MAX 2000
#define FACTS_MAX 5000

/* ---- problems ---------------------------------------------------------- */

static tamis_status fail(tamis_sor_problem *p, const char *field, const char *fmt, ...)
    TAMIS__PRINTF(3, 4);

static tamis_status fail(tamis_sor_problem *p, const char *field, const char *fmt, ...) {
    if (p) {
        snprintf(p->field, sizeof p->field, "%s", field ? field : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->message, sizeof p->message, fmt, ap);
        va_end(ap);
    }
    return TAMIS_ERR_INVALID;
}

static void problem_clear(tamis_sor_problem *p, long index) {
    if (p) {
        p->field[0] = '\0';
        p->message[0] = '\0';
        p->index = index;
    }
}

static int in_set(const char *const *set, const char *s) {
    for (; *set; set++)
        if (strcmp(*set, s) == 0)
            return 1;
    return 0;
}

/* ---- text -------------------------------------------------------------- */

/* The number of code points of valid UTF-8, or -1 if it is not. */
static long utf8_chars(const char *s, size_t len) {
    long n = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++, n++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            k = 1, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3, cp = c & 0x07;
        } else {
            return -1;
        }
        if (len - i <= k)
            return -1;
        for (size_t j = 1; j <= k; j++) {
            unsigned char d = (unsigned char)s[i + j];
            if ((d & 0xC0) != 0x80)
                return -1;
            cp = cp << 6 | (d & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return -1;
        i += k + 1, n++;
    }
    return n;
}

static int is_blank(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* ---- personal data ----------------------------------------------------- */

static int is_alnum(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_hex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static int is_digit(int c) {
    return c >= '0' && c <= '9';
}
static int is_alpha(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int at(const char *s, size_t len, size_t i) {
    return i < len ? (unsigned char)s[i] : 0;
}

/* An address local@domain.tld around the '@' at `i`: a non-empty local
 * part, a domain with a dot, a top-level label of two letters or more.
 * Returns the offset of the local part, or (size_t)-1. */
static size_t email_at(const char *s, size_t len, size_t i) {
    size_t b = i;
    while (b > 0 && (is_alnum(at(s, len, b - 1)) || strchr("._%+-", at(s, len, b - 1)) ||
                     at(s, len, b - 1) >= 0x80))
        b--;
    if (b == i)
        return (size_t)-1;
    size_t e = i + 1, last_dot = 0;
    while (e < len && (is_alnum(at(s, len, e)) || at(s, len, e) == '.' ||
                       at(s, len, e) == '-' || at(s, len, e) >= 0x80)) {
        if (at(s, len, e) == '.')
            last_dot = e;
        e++;
    }
    while (e > i + 1 && at(s, len, e - 1) == '.') { /* a sentence's full stop */
        e--;
        last_dot = 0;
        for (size_t j = i + 1; j < e; j++)
            if (at(s, len, j) == '.')
                last_dot = j;
    }
    if (!last_dot || last_dot == i + 1 || e - last_dot - 1 < 2)
        return (size_t)-1;
    for (size_t j = last_dot + 1; j < e; j++)
        if (!is_alpha(at(s, len, j)) && at(s, len, j) < 0x80)
            return (size_t)-1;
    return b;
}

/* A dotted-quad IPv4 address starting at `i` (a digit after no letter,
 * digit or dot). */
static int ipv4_at(const char *s, size_t len, size_t i) {
    size_t e = i, dots = 0;
    while (e < len && (is_digit(at(s, len, e)) || at(s, len, e) == '.'))
        dots += at(s, len, e++) == '.';
    while (e > i && at(s, len, e - 1) == '.')
        e--, dots--;
    if (dots != 3 || e - i > 15 || is_alnum(at(s, len, e)))
        return 0;
    char buf[16];
    unsigned char addr[4];
    memcpy(buf, s + i, e - i);
    buf[e - i] = '\0';
    return inet_pton(AF_INET, buf, addr) == 1;
}

/* An IPv6 address (any form inet_pton takes, IPv4 tails included)
 * starting at `i`. */
static int ipv6_at(const char *s, size_t len, size_t i) {
    size_t e = i, colons = 0;
    while (e < len && (is_hex(at(s, len, e)) || at(s, len, e) == ':' || at(s, len, e) == '.'))
        colons += at(s, len, e++) == ':';
    while (e > i && at(s, len, e - 1) == '.')
        e--;
    if (colons < 2 || e - i > 45 || is_alnum(at(s, len, e)))
        return 0;
    char buf[46];
    unsigned char addr[16];
    memcpy(buf, s + i, e - i);
    buf[e - i] = '\0';
    return inet_pton(AF_INET6, buf, addr) == 1;
}

/* A date dd.mm.yyyy (or with '/' or '-') at `i`, which phone numbers
 * written with the same separators must not be taken for. */
static int date_at(const char *s, size_t len, size_t i) {
    static const char shape[] = "99s99s9999";
    int sep = 0;
    for (size_t k = 0; k < 10; k++) {
        int c = at(s, len, i + k);
        if (shape[k] == '9' && !is_digit(c))
            return 0;
        if (shape[k] == 's') {
            if (!strchr("./-", c) || !c || (sep && c != sep))
                return 0;
            sep = c;
        }
    }
    return !is_digit(at(s, len, i + 10));
}

/* A phone number starting at `i`: '+' and 8 to 15 digits, or a national
 * form that starts with 0 or '(' and has 9 to 15 digits; single spaces,
 * dots, dashes, slashes and brackets may separate the digits. */
static int phone_at(const char *s, size_t len, size_t i) {
    int c = at(s, len, i);
    int plus = c == '+';
    if (!(plus || c == '(' || c == '0'))
        return 0;
    if ((plus || c == '(') && !is_digit(at(s, len, i + 1)))
        return 0;
    size_t e = i + (plus || c == '(');
    int digits = 0;
    while (e < len) {
        c = at(s, len, e);
        if (is_digit(c)) {
            digits++, e++;
        } else if (strchr(" .-/()", c) && c &&
                   (is_digit(at(s, len, e + 1)) ||
                    (at(s, len, e + 1) == '(' && is_digit(at(s, len, e + 2))) ||
                    (c == ')' && at(s, len, e + 1) == ' ' && is_digit(at(s, len, e + 2))))) {
            e++;
        } else {
            break;
        }
    }
    if (is_alnum(at(s, len, e)))
        return 0;
    return plus ? digits >= 8 && digits <= 15 : digits >= 9 && digits <= 15;
}

tamis_status tamis_sor_find_personal_data(const char *text, size_t len, const char **what,
                                          size_t *offset) {
    if (!text && len)
        return TAMIS_ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        int c = at(text, len, i), prev = i ? at(text, len, i - 1) : 0;
        const char *kind = NULL;
        size_t where = i;
        if (c == '@') {
            size_t b = email_at(text, len, i);
            if (b != (size_t)-1)
                kind = "an e-mail address", where = b;
        } else if (!is_alnum(prev) && prev != '.' && prev != ':') {
            if (is_digit(c) && ipv4_at(text, len, i))
                kind = "an IP address";
            else if ((is_hex(c) || c == ':') && ipv6_at(text, len, i))
                kind = "an IP address";
            else if (is_digit(c) && date_at(text, len, i))
                i += 9; /* not a phone number: skip the date */
            else if (!is_digit(prev) && prev != '+' && phone_at(text, len, i))
                kind = "a phone number";
        }
        if (kind) {
            if (what)
                *what = kind;
            if (offset)
                *offset = where;
            return TAMIS_ERR_INVALID;
        }
    }
    return TAMIS_OK;
}

/* ---- dates ------------------------------------------------------------- */

static int leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* A calendar date written YYYY-MM-DD with leading zeros (PHP's
 * date_format:Y-m-d, which refuses 2023-02-30). */
static int valid_date(const char *s, size_t len) {
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int k = 0; k < 10; k++)
        if (k != 4 && k != 7 && !is_digit((unsigned char)s[k]))
            return 0;
    int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return 0;
    return d <= days[m - 1] + (m == 2 && leap(y));
}

/* ---- checking a statement object -------------------------------------- */

/* A key's value, with JSON null taken as absent (the database's fields
 * are nullable). */
static json_t *get(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_null(v) ? NULL : v;
}

/* Whether a key has a value the database counts as given: Laravel's
 * "required" refuses null, blank strings and empty arrays. */
static int given(json_t *o, const char *key) {
    json_t *v = get(o, key);
    if (!v)
        return 0;
    if (json_is_string(v))
        return !is_blank(json_string_value(v), json_string_length(v));
    if (json_is_array(v))
        return json_array_size(v) > 0;
    return 1;
}

static tamis_status check_text(json_t *o, const char *key, long max, int required,
                               tamis_sor_problem *p) {
    json_t *v = get(o, key);
    if (!v || (json_is_string(v) && !given(o, key)))
        return required ? fail(p, key, "%s is required", key) : TAMIS_OK;
    if (!json_is_string(v))
        return fail(p, key, "%s must be a string", key);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    long n = utf8_chars(s, len);
    if (n < 0)
        return fail(p, key, "%s is not valid UTF-8", key);
    if (memchr(s, '\0', len))
        return fail(p, key, "%s holds a NUL character", key);
    if (n > max)
        return fail(p, key, "%s has %ld characters, more than the %ld allowed", key, n, max);
    const char *what;
    size_t off;
    if (tamis_sor_find_personal_data(s, len, &what, &off) != TAMIS_OK)
        return fail(p, key,
                    "%s holds %s at byte %zu: statements must carry no personal data "
                    "(DSA Art. 24(5))",
                    key, what, off);
    return TAMIS_OK;
}

static tamis_status check_enum(json_t *o, const char *key, const char *const *set,
                               int required, tamis_sor_problem *p) {
    json_t *v = get(o, key);
    if (!v)
        return required ? fail(p, key, "%s is required", key) : TAMIS_OK;
    if (!json_is_string(v))
        return fail(p, key, "%s must be a string", key);
    if (!in_set(set, json_string_value(v)))
        return fail(p, key, "%s: \"%.100s\" is not an allowed value", key,
                    json_string_value(v));
    return TAMIS_OK;
}

static tamis_status check_enum_array(json_t *o, const char *key, const char *const *set,
                                     int required, tamis_sor_problem *p) {
    json_t *v = get(o, key), *e;
    size_t i;
    if (!v)
        return required ? fail(p, key, "%s is required", key) : TAMIS_OK;
    if (!json_is_array(v))
        return fail(p, key, "%s must be an array", key);
    if (required && json_array_size(v) == 0)
        return fail(p, key, "%s needs at least one value", key);
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return fail(p, key, "%s[%zu] must be a string", key, i);
        if (!in_set(set, json_string_value(e)))
            return fail(p, key, "%s[%zu]: \"%.100s\" is not an allowed value", key, i,
                        json_string_value(e));
    }
    return TAMIS_OK;
}

static int array_has(json_t *o, const char *key, const char *value) {
    json_t *v = get(o, key), *e;
    size_t i;
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, e) if (json_is_string(e) &&
                                    strcmp(json_string_value(e), value) == 0) return 1;
    return 0;
}

static int string_is(json_t *o, const char *key, const char *value) {
    json_t *v = get(o, key);
    return json_is_string(v) && strcmp(json_string_value(v), value) == 0;
}

/* A free text that belongs with one choice (`when`): required with it,
 * refused without it (the database would drop it without a word). */
static tamis_status check_dependent(json_t *o, const char *key, int when, const char *cond,
                                    long max, tamis_sor_problem *p) {
    if (when)
        return check_text(o, key, max, 1, p);
    if (get(o, key))
        return fail(p, key, "%s is only taken when %s (the database drops it otherwise)",
                    key, cond);
    return TAMIS_OK;
}

static tamis_status check_date(json_t *o, const char *key, int required, const char *min,
                               tamis_sor_problem *p) {
    json_t *v = get(o, key);
    if (!v)
        return required ? fail(p, key, "%s is required", key) : TAMIS_OK;
    if (!json_is_string(v) || !valid_date(json_string_value(v), json_string_length(v)))
        return fail(p, key, "%s must be a date written YYYY-MM-DD", key);
    const char *d = json_string_value(v);
    if (min && strcmp(d, min) < 0)
        return fail(p, key, "%s is %s, before %s", key, d, min);
    if (strcmp(d, "2038-01-01") > 0)
        return fail(p, key, "%s is %s, after 2038-01-01", key, d);
    return TAMIS_OK;
}

/* decision_ground_reference_url: an absolute http(s) URL with a host. */
static tamis_status check_url(json_t *o, const char *key, tamis_sor_problem *p) {
    tamis_status st = check_text(o, key, SHORT_TEXT_MAX, 0, p);
    json_t *v = get(o, key);
    if (st != TAMIS_OK || !v)
        return st;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), skip;
    if (len > 8 && strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else if (len > 7 && strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return fail(p, key, "%s must be an http or https URL", key);
    if (!is_alnum((unsigned char)s[skip]) && (unsigned char)s[skip] < 0x80)
        return fail(p, key, "%s has no host", key);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return fail(p, key, "%s holds a space or a control character", key);
    return TAMIS_OK;
}

#define CHECK(x)                                                               \
    do {                                                                       \
        tamis_status st_ = (x);                                                \
        if (st_ != TAMIS_OK)                                                   \
            return st_;                                                        \
    } while (0)

static tamis_status check_statement(json_t *o, tamis_sor_problem *p) {
    if (!json_is_object(o))
        return fail(p, "", "a statement must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (!in_set(KEYS, key))
            return fail(p, key, "%.60s is not a field of the schema", key);
    }

    /* What was decided: at least one of the four kinds of restriction. */
    CHECK(check_enum_array(o, "decision_visibility", VISIBILITIES, 0, p));
    CHECK(check_dependent(o, "decision_visibility_other",
                          array_has(o, "decision_visibility", "DECISION_VISIBILITY_OTHER"),
                          "decision_visibility has DECISION_VISIBILITY_OTHER", SHORT_TEXT_MAX,
                          p));
    CHECK(check_enum(o, "decision_monetary", MONETARIES, 0, p));
    CHECK(check_dependent(o, "decision_monetary_other",
                          string_is(o, "decision_monetary", "DECISION_MONETARY_OTHER"),
                          "decision_monetary is DECISION_MONETARY_OTHER", SHORT_TEXT_MAX, p));
    CHECK(check_enum(o, "decision_provision", PROVISIONS, 0, p));
    CHECK(check_enum(o, "decision_account", ACCOUNTS, 0, p));
    if (!given(o, "decision_visibility") && !given(o, "decision_monetary") &&
        !given(o, "decision_provision") && !given(o, "decision_account"))
        return fail(p, "decision_visibility",
                    "one of decision_visibility, decision_monetary, decision_provision "
                    "and decision_account is required");
    CHECK(check_enum(o, "account_type", ACCOUNT_TYPES, 0, p));

    CHECK(check_text(o, "decision_facts", FACTS_MAX, 1, p));

    /* Why: the law, or the terms and conditions. */
    CHECK(check_enum(o, "decision_ground", GROUNDS, 1, p));
    CHECK(check_url(o, "decision_ground_reference_url", p));
    int illegal = string_is(o, "decision_ground", "DECISION_GROUND_ILLEGAL_CONTENT");
    const char *if_illegal = "decision_ground is DECISION_GROUND_ILLEGAL_CONTENT";
    const char *if_incompatible = "decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT";
    CHECK(check_dependent(o, "illegal_content_legal_ground", illegal, if_illegal,
                          SHORT_TEXT_MAX, p));
    CHECK(check_dependent(o, "illegal_content_explanation", illegal, if_illegal,
                          EXPLANATION_MAX, p));
    CHECK(check_dependent(o, "incompatible_content_ground", !illegal, if_incompatible,
                          SHORT_TEXT_MAX, p));
    CHECK(check_dependent(o, "incompatible_content_explanation", !illegal, if_incompatible,
                          EXPLANATION_MAX, p));
    if (illegal && get(o, "incompatible_content_illegal"))
        return fail(p, "incompatible_content_illegal",
                    "incompatible_content_illegal is only taken when %s", if_incompatible);
    CHECK(check_enum(o, "incompatible_content_illegal", YES_NO, 0, p));

    CHECK(check_enum_array(o, "content_type", CONTENT_TYPES, 1, p));
    CHECK(check_dependent(o, "content_type_other",
                          array_has(o, "content_type", "CONTENT_TYPE_OTHER"),
                          "content_type has CONTENT_TYPE_OTHER", SHORT_TEXT_MAX, p));

    CHECK(check_enum(o, "category", CATEGORIES, 1, p));
    CHECK(check_enum_array(o, "category_addition", CATEGORIES, 0, p));
    CHECK(check_enum_array(o, "category_specification", KEYWORDS, 0, p));
    if (get(o, "category_specification_other")) /* may come with KEYWORD_OTHER only */
        CHECK(check_dependent(o, "category_specification_other",
                              array_has(o, "category_specification", "KEYWORD_OTHER"),
                              "category_specification has KEYWORD_OTHER", SHORT_TEXT_MAX, p));
    if ((v = get(o, "content_id"))) {
        json_t *ean = json_object_get(v, "EAN-13");
        if (!json_is_object(v) || json_object_size(v) != 1 || !json_is_string(ean))
            return fail(p, "content_id", "content_id must be {\"EAN-13\": \"<13 digits>\"}");
        const char *s = json_string_value(ean);
        if (json_string_length(ean) != 13 || strspn(s, "0123456789") != 13)
            return fail(p, "content_id", "content_id EAN-13 must be 13 digits");
    }

    CHECK(check_enum_array(o, "territorial_scope", COUNTRIES, 0, p));
    CHECK(check_enum(o, "content_language", LANGUAGES, 0, p));

    CHECK(check_date(o, "content_date", 1, "2000-01-01", p));
    CHECK(check_date(o, "application_date", 1, "2020-01-01", p));
    static const char *const ends[] = {
        "end_date_account_restriction", "end_date_monetary_restriction",
        "end_date_service_restriction", "end_date_visibility_restriction"};
    const char *app = json_string_value(get(o, "application_date"));
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
        CHECK(check_date(o, ends[i], 0, app, p));

    CHECK(check_enum(o, "source_type", SOURCES, 1, p));
    if (string_is(o, "source_type", "SOURCE_VOLUNTARY") && get(o, "source_identity"))
        return fail(p, "source_identity",
                    "source_identity is not taken when source_type is SOURCE_VOLUNTARY");
    CHECK(check_text(o, "source_identity", SHORT_TEXT_MAX, 0, p));

    CHECK(check_enum(o, "automated_detection", YES_NO, 1, p));
    CHECK(check_enum(o, "automated_decision", AUTOMATED_DECISIONS, 1, p));

    CHECK(check_text(o, "puid", SHORT_TEXT_MAX, 1, p));
    const char *puid = json_string_value(get(o, "puid"));
    size_t plen = json_string_length(get(o, "puid"));
    for (size_t i = 0; i < plen; i++)
        if (!is_alnum((unsigned char)puid[i]) && puid[i] != '-' && puid[i] != '_')
            return fail(p, "puid",
                        "puid may hold only letters a-z and A-Z, digits, '-' and '_' "
                        "(byte %zu is not one)",
                        i);
    return TAMIS_OK;
}

/* A batch {"statements": [...]}: 1 to 100 statements, puids distinct. */
static tamis_status check_batch(json_t *b, tamis_sor_problem *p) {
    problem_clear(p, -1);
    json_t *a = json_object_get(b, "statements");
    if (!json_is_object(b) || json_object_size(b) != 1 || !json_is_array(a))
        return fail(p, "statements", "a batch is an object {\"statements\": [...]}");
    size_t n = json_array_size(a);
    if (n < 1 || n > TAMIS_SOR_BATCH_MAX)
        return fail(p, "statements", "a batch holds 1 to %d statements, not %zu",
                    TAMIS_SOR_BATCH_MAX, n);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(a, i);
        if (p)
            p->index = (long)i;
        CHECK(check_statement(s, p));
        const char *puid = json_string_value(json_object_get(s, "puid"));
        for (size_t j = 0; j < i; j++)
            if (strcmp(puid, json_string_value(json_object_get(json_array_get(a, j), "puid"))) ==
                0)
                return fail(p, "puid", "puid \"%.100s\" is also statement %zu's", puid, j);
    }
    problem_clear(p, -1);
    return TAMIS_OK;
}

static tamis_status parse(const char *text, size_t len, json_t **out, tamis_sor_problem *p) {
    json_error_t err;
    *out = NULL;
    if (!text && len)
        return fail(p, "", "no text");
    *out = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &err);
    if (!*out)
        return fail(p, "", "not JSON: %s (line %d, column %d)", err.text, err.line,
                    err.column);
    return TAMIS_OK;
}

tamis_status tamis_sor_validate_json(const char *json, size_t len, tamis_sor_problem *problem) {
    json_t *o;
    problem_clear(problem, -1);
    tamis_status st = parse(json, len, &o, problem);
    if (st == TAMIS_OK)
        st = check_statement(o, problem);
    json_decref(o);
    return st;
}

tamis_status tamis_sor_validate_batch_json(const char *json, size_t len,
                                           tamis_sor_problem *problem) {
    json_t *o;
    problem_clear(problem, -1);
    tamis_status st = parse(json, len, &o, problem);
    if (st == TAMIS_OK)
        st = check_batch(o, problem);
    json_decref(o);
    return st;
}

/* ---- from a tamis_sor to JSON ------------------------------------------ */

/* Sets key to a copy of s (nothing when s is NULL). */
static tamis_status put_string(json_t *o, const char *key, const char *s,
                               tamis_sor_problem *p) {
    if (!s)
        return TAMIS_OK;
    if (utf8_chars(s, strlen(s)) < 0)
        return fail(p, key, "%s is not valid UTF-8", key);
    json_t *v = json_string(s);
    if (!v || json_object_set_new(o, key, v) != 0)
        return TAMIS_ERR_NOMEM;
    return TAMIS_OK;
}

/* The set bits of `bits` as an array of the names in `names` (bit k is
 * names[k]); bits beyond the names are refused. */
static tamis_status put_flags(json_t *o, const char *key, unsigned bits,
                              const char *const *names, tamis_sor_problem *p) {
    size_t n = 0;
    while (names[n])
        n++;
    if (bits >> n)
        return fail(p, key, "%s: unknown flags 0x%x", key, bits >> n << n);
    if (!bits)
        return TAMIS_OK;
    json_t *a = json_array();
    if (!a || json_object_set_new(o, key, a) != 0)
        return TAMIS_ERR_NOMEM;
    for (size_t k = 0; k < n; k++)
        if (bits & 1u << k && json_array_append_new(a, json_string(names[k])) != 0)
            return TAMIS_ERR_NOMEM;
    return TAMIS_OK;
}

/* An enumeration member (1-based, 0: absent) as its name in `names`. */
static tamis_status put_choice(json_t *o, const char *key, int v, const char *const *names,
                               tamis_sor_problem *p) {
    int n = 0;
    while (names[n])
        n++;
    if (v == 0)
        return TAMIS_OK;
    if (v < 0 || v > n)
        return fail(p, key, "%s: %d is not a member of its enumeration", key, v);
    return put_string(o, key, names[v - 1], p);
}

static tamis_status put_strings(json_t *o, const char *key, const char *const *v, size_t n,
                                tamis_sor_problem *p) {
    if (!n)
        return TAMIS_OK;
    if (!v)
        return fail(p, key, "%s: %zu values but no array", key, n);
    json_t *a = json_array();
    if (!a || json_object_set_new(o, key, a) != 0)
        return TAMIS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            return fail(p, key, "%s[%zu] is NULL", key, i);
        if (utf8_chars(v[i], strlen(v[i])) < 0)
            return fail(p, key, "%s[%zu] is not valid UTF-8", key, i);
        if (json_array_append_new(a, json_string(v[i])) != 0)
            return TAMIS_ERR_NOMEM;
    }
    return TAMIS_OK;
}

/* Unix seconds as the UTC day YYYY-MM-DD (0: absent). */
static tamis_status put_date(json_t *o, const char *key, int64_t t, tamis_sor_problem *p) {
    if (t == 0)
        return TAMIS_OK;
    /* Years 0001 to 9999 keep the format; the range check comes later. */
    if (t < -62135596800LL || t > 253402300799LL)
        return fail(p, key, "%s: %lld seconds is no date of years 1 to 9999", key,
                    (long long)t);
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[48];
    if (!gmtime_r(&tt, &tm))
        return fail(p, key, "%s: %lld seconds is no date", key, (long long)t);
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return put_string(o, key, buf, p);
}

static tamis_status build(const tamis_sor *s, json_t **out, tamis_sor_problem *p) {
    static const char *const ground_names[] = {"DECISION_GROUND_ILLEGAL_CONTENT",
                                               "DECISION_GROUND_INCOMPATIBLE_CONTENT", NULL};
    *out = NULL;
    if (!s)
        return fail(p, "", "no statement");
    json_t *o = json_object();
    if (!o)
        return TAMIS_ERR_NOMEM;
    int illegal = s->ground == TAMIS_SOR_GROUND_ILLEGAL;
    int incompatible = s->ground == TAMIS_SOR_GROUND_INCOMPATIBLE;
    tamis_status st;
#define PUT(x)                                                                 \
    do {                                                                       \
        if ((st = (x)) != TAMIS_OK)                                            \
            goto done;                                                         \
    } while (0)
    PUT(put_flags(o, "decision_visibility", s->visibility, VISIBILITIES, p));
    PUT(put_string(o, "decision_visibility_other", s->visibility_other, p));
    PUT(put_choice(o, "decision_monetary", (int)s->monetary, MONETARIES, p));
    PUT(put_string(o, "decision_monetary_other", s->monetary_other, p));
    PUT(put_choice(o, "decision_provision", (int)s->provision, PROVISIONS, p));
    PUT(put_choice(o, "decision_account", (int)s->account, ACCOUNTS, p));
    PUT(put_choice(o, "account_type", (int)s->account_type, ACCOUNT_TYPES, p));
    PUT(put_string(o, "decision_facts", s->decision_facts, p));
    PUT(put_choice(o, "decision_ground", (int)s->ground, ground_names, p));
    PUT(put_string(o, "decision_ground_reference_url", s->ground_reference_url, p));
    if (illegal) {
        PUT(put_string(o, "illegal_content_legal_ground", s->legal_ground, p));
        PUT(put_string(o, "illegal_content_explanation", s->ground_explanation, p));
        if (s->incompatible_illegal != TAMIS_SOR_UNSET) {
            st = fail(p, "incompatible_content_illegal",
                      "incompatible_content_illegal is only taken when decision_ground is "
                      "DECISION_GROUND_INCOMPATIBLE_CONTENT");
            goto done;
        }
    } else if (incompatible) {
        PUT(put_string(o, "incompatible_content_ground", s->legal_ground, p));
        PUT(put_string(o, "incompatible_content_explanation", s->ground_explanation, p));
        PUT(put_choice(o, "incompatible_content_illegal", (int)s->incompatible_illegal, YES_NO,
                       p));
    }
    PUT(put_flags(o, "content_type", s->content_types, CONTENT_TYPES, p));
    PUT(put_string(o, "content_type_other", s->content_type_other, p));
    PUT(put_string(o, "category", s->category, p));
    PUT(put_strings(o, "category_addition", s->category_addition, s->n_category_addition, p));
    PUT(put_strings(o, "category_specification", s->keywords, s->n_keywords, p));
    PUT(put_string(o, "category_specification_other", s->keyword_other, p));
    PUT(put_strings(o, "territorial_scope", s->territorial_scope, s->n_territorial_scope, p));
    PUT(put_string(o, "content_language", s->content_language, p));
    PUT(put_date(o, "content_date", s->content_date, p));
    PUT(put_date(o, "application_date", s->application_date, p));
    PUT(put_date(o, "end_date_account_restriction", s->end_date_account, p));
    PUT(put_date(o, "end_date_monetary_restriction", s->end_date_monetary, p));
    PUT(put_date(o, "end_date_service_restriction", s->end_date_service, p));
    PUT(put_date(o, "end_date_visibility_restriction", s->end_date_visibility, p));
    PUT(put_choice(o, "source_type", (int)s->source, SOURCES, p));
    PUT(put_string(o, "source_identity", s->source_identity, p));
    PUT(put_string(o, "automated_detection", s->automated_detection ? "Yes" : "No", p));
    PUT(put_choice(o, "automated_decision", (int)s->automated_decision, AUTOMATED_DECISIONS,
                   p));
    PUT(put_string(o, "puid", s->puid, p));
#undef PUT
    st = check_statement(o, p);
done:
    if (st != TAMIS_OK) {
        json_decref(o);
        return st;
    }
    *out = o;
    return TAMIS_OK;
}

static tamis_status dump(json_t *o, char **json) {
    *json = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return *json ? TAMIS_OK : TAMIS_ERR_NOMEM;
}

tamis_status tamis_sor_validate(const tamis_sor *s, tamis_sor_problem *problem) {
    json_t *o;
    problem_clear(problem, -1);
    tamis_status st = build(s, &o, problem);
    json_decref(o);
    return st;
}

tamis_status tamis_sor_to_json(const tamis_sor *s, char **json, tamis_sor_problem *problem) {
    json_t *o;
    problem_clear(problem, -1);
    if (!json)
        return fail(problem, "", "no place for the result");
    *json = NULL;
    tamis_status st = build(s, &o, problem);
    if (st == TAMIS_OK)
        st = dump(o, json);
    json_decref(o);
    return st;
}

tamis_status tamis_sor_batch_to_json(const tamis_sor *s, size_t n, char **json,
                                     tamis_sor_problem *problem) {
    problem_clear(problem, -1);
    if (!json)
        return fail(problem, "", "no place for the result");
    *json = NULL;
    if (n < 1 || n > TAMIS_SOR_BATCH_MAX)
        return fail(problem, "statements", "a batch holds 1 to %d statements, not %zu",
                    TAMIS_SOR_BATCH_MAX, n);
    if (!s)
        return fail(problem, "statements", "no statements");
    json_t *b = json_object(), *a = json_array();
    tamis_status st = TAMIS_ERR_NOMEM;
    if (!b || !a || json_object_set(b, "statements", a) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        json_t *o;
        if (problem)
            problem->index = (long)i;
        if ((st = build(&s[i], &o, problem)) != TAMIS_OK)
            goto done;
        if (json_array_append_new(a, o) != 0) {
            st = TAMIS_ERR_NOMEM;
            goto done;
        }
    }
    if ((st = check_batch(b, problem)) == TAMIS_OK)
        st = dump(b, json);
done:
    json_decref(a);
    json_decref(b);
    return st;
}
