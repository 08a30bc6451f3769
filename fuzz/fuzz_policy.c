/*
 * fuzz_policy.c - libFuzzer target for tamis_policy_decide (lib/act/
 * decision.c): a bank's policy, a JSON object a curator writes (POST
 * /c/banks), read again for every match of the bank.
 *
 * Input: byte 0 picks the signal type (from a list with the empty string
 * and an unknown type), bytes 1-4 the distance (int32, little-endian, any
 * value), and the rest is the policy (NULL when empty; cut at a NUL, as a C
 * string is).
 *
 * Besides crashes and undefined behaviour, the target aborts when the
 * answer breaks the rules tamis.h states, computed here from the same JSON
 * independently: TAMIS_ERR_INVALID exactly when the policy is not a JSON
 * object; a trusted policy whose auto[type] is an integer at least the
 * distance acts (REMOVE, or DISABLE when "action" is "disable"); otherwise
 * review[type], when an integer, sends to REVIEW at or under it and to NONE
 * beyond; otherwise REVIEW.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = {"pdq", "md5", "sha256", "vpdq", "tmk", "text_exact",
                                    "text_near", "url", "", "a\xff"};

static void fail(const char *what, const char *policy, const char *type, int distance,
                 tamis_action got, tamis_action want) {
    fprintf(stderr, "fuzz_policy: %s: type '%s', distance %d: got %s, want %s\npolicy: %s\n",
            what, type, distance, tamis_action_name(got), tamis_action_name(want),
            policy ? policy : "(null)");
    abort();
}

/* What tamis.h says `policy` decides. */
static tamis_status expected(const char *policy, const char *type, int distance,
                             tamis_action *want) {
    *want = TAMIS_ACTION_REVIEW;
    if (!policy)
        return TAMIS_OK;
    json_t *p = json_loads(policy, 0, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        return TAMIS_ERR_INVALID;
    }
    json_t *a = json_object_get(json_object_get(p, "auto"), type);
    json_t *r = json_object_get(json_object_get(p, "review"), type);
    const char *act = json_string_value(json_object_get(p, "action"));
    if (json_is_true(json_object_get(p, "trusted")) && json_is_integer(a) &&
        (json_int_t)distance <= json_integer_value(a))
        *want = act && strcmp(act, "disable") == 0 ? TAMIS_ACTION_DISABLE : TAMIS_ACTION_REMOVE;
    else if (json_is_integer(r))
        *want = (json_int_t)distance <= json_integer_value(r) ? TAMIS_ACTION_REVIEW
                                                               : TAMIS_ACTION_NONE;
    json_decref(p);
    return TAMIS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5)
        return 0;
    const char *type = types[data[0] % (sizeof types / sizeof types[0])];
    uint32_t u = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                 (uint32_t)data[4] << 24;
    int distance = (int)(int32_t)u;
    char *policy = NULL;
    if (size > 5) {
        policy = malloc(size - 5 + 1);
        if (!policy)
            return 0;
        memcpy(policy, data + 5, size - 5);
        policy[size - 5] = 0;
    }
    tamis_action got = TAMIS_ACTION_KEEP, want;
    tamis_status st = tamis_policy_decide(policy, type, distance, &got);
    tamis_status st_want = expected(policy, type, distance, &want);
    if (st != st_want)
        fail(st == TAMIS_OK ? "a policy that is not a JSON object accepted"
                            : "a JSON object refused",
             policy, type, distance, got, want);
    if (st == TAMIS_OK && got != want)
        fail("another action than tamis.h's rules give", policy, type, distance, got, want);
    free(policy);
    return 0;
}
