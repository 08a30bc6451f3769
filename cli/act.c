/*
 * act.c - `tamis order` and `tamis review`: removal orders and the review
 * queue from the command line, for operators without the HTTP service
 * (the same library calls as /a; every step in the audit log, as --as).
 * Records print as one JSON object per line.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"


static int print_order(void *ctx, const tamis_order *o) {
    (void)ctx;
    json_t *loc = json_loads(o->locators ? o->locators : "[]", 0, NULL);
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:o,s:s,s:f,s:f,s:f,s:b,s:f,s:s?,s:s}", "id",
                          (json_int_t)o->id, "authority", o->authority, "member_state",
                          o->member_state, "reference", o->reference, "locators",
                          loc ? loc : json_array(), "state", tamis_order_state_name(o->state),
                          "received_at", o->received_at, "deadline", o->deadline,
                          "executed_at", o->executed_at, "on_time", o->on_time,
                          "clock_stopped_seconds", o->clock_stopped, "note", o->note,
                          "receipt", o->receipt);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s)
        puts(s);
    free(s);
    json_decref(j);
    return 0;
}

static int print_decision(void *ctx, const tamis_decision *d) {
    (void)ctx;
    json_t *j = json_pack("{s:I,s:s?,s:s?,s:I,s:s?,s:s?,s:i,s:s,s:b,s:s?,s:s?,s:s?}", "id",
                          (json_int_t)d->id, "puid", d->puid, "bank", d->bank, "content_id",
                          (json_int_t)d->content_id, "signal_type", d->signal_type, "variant",
                          d->variant, "distance", d->distance, "action", tamis_action_name(d->action),
                          "automated_decision", d->automated_decision, "claimed_by",
                          d->claimed_by, "reviewer", d->reviewer, "reason", d->reason);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s)
        puts(s);
    free(s);
    json_decref(j);
    return 0;
}

static void order_usage(FILE *f) {
    fprintf(f,
            "usage: tamis order receive --authority A --member-state CC --reference R\n"
            "                           --issued-at UNIX --locator URL [--locator URL...]\n"
            "                           [--reasons T] [--redress T] [--withhold]\n"
            "       tamis order step ID received|clarification_requested|force_majeure|\n"
            "                           executed|rejected [--note T]\n"
            "       tamis order show ID | confirm ID | due [--within SECONDS] | list\n"
            "common: --db URL (default tamis.db), --as WHO (the audit log's actor)\n");
}

enum { O_DB = 256, O_AS, O_AUTH, O_MS, O_REF, O_ISSUED, O_LOC, O_REASONS, O_REDRESS, O_WITHHOLD,
       O_NOTE, O_WITHIN, O_LEASE, O_ACTION, O_REASON, O_FP, O_PUID, O_EXPL, O_TF, O_NOTIFIER,
       O_DECISION, O_ORDER, O_GROUNDS, O_UPHELD, O_ANSWER };

static const struct option act_opts[] = {
    {"db", required_argument, NULL, O_DB},          {"as", required_argument, NULL, O_AS},
    {"authority", required_argument, NULL, O_AUTH}, {"member-state", required_argument, NULL, O_MS},
    {"reference", required_argument, NULL, O_REF},  {"issued-at", required_argument, NULL, O_ISSUED},
    {"locator", required_argument, NULL, O_LOC},    {"reasons", required_argument, NULL, O_REASONS},
    {"redress", required_argument, NULL, O_REDRESS}, {"withhold", no_argument, NULL, O_WITHHOLD},
    {"note", required_argument, NULL, O_NOTE},      {"within", required_argument, NULL, O_WITHIN},
    {"lease", required_argument, NULL, O_LEASE},    {"action", required_argument, NULL, O_ACTION},
    {"reason", required_argument, NULL, O_REASON},  {"false-positive", no_argument, NULL, O_FP},
    {"puid", required_argument, NULL, O_PUID},      {"explanation", required_argument, NULL, O_EXPL},
    {"trusted-flagger", no_argument, NULL, O_TF},   {"notifier", required_argument, NULL, O_NOTIFIER},
    {"decision", required_argument, NULL, O_DECISION}, {"order", required_argument, NULL, O_ORDER},
    {"grounds", required_argument, NULL, O_GROUNDS}, {"upheld", no_argument, NULL, O_UPHELD},
    {"answer", required_argument, NULL, O_ANSWER},
    {"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0}};

typedef struct {
    const char *db, *as, *note, *action, *reason;
    tamis_order o;
    json_t *locators;
    double within, lease;
    int false_positive;
    tamis_notice n;
    tamis_complaint c;
    int upheld;
    const char *answer;
    char *pos[3];
    int npos;
} act_args;

static int parse(int argc, char **argv, act_args *a) {
    memset(a, 0, sizeof *a);
    a->db = "tamis.db";
    a->as = "cli";
    a->within = 900;
    a->lease = 900;
    a->locators = json_array();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", act_opts, NULL)) != -1) {
        switch (c) {
        case O_DB: a->db = optarg; break;
        case O_AS: a->as = optarg; break;
        case O_AUTH: a->o.authority = optarg; break;
        case O_MS: a->o.member_state = optarg; break;
        case O_REF: a->o.reference = optarg; break;
        case O_ISSUED: a->o.issued_at = strtod(optarg, NULL); break;
        case O_LOC: json_array_append_new(a->locators, json_string(optarg)); break;
        case O_REASONS: a->o.reasons = optarg; break;
        case O_REDRESS: a->o.redress = optarg; break;
        case O_WITHHOLD: a->o.withhold_information = 1; break;
        case O_NOTE: a->note = optarg; break;
        case O_WITHIN: a->within = strtod(optarg, NULL); break;
        case O_LEASE: a->lease = strtod(optarg, NULL); break;
        case O_ACTION: a->action = optarg; break;
        case O_REASON: a->reason = optarg; break;
        case O_FP: a->false_positive = 1; break;
        case O_PUID: a->n.puid = a->c.puid = optarg; break;
        case O_EXPL: a->n.explanation = optarg; break;
        case O_TF: a->n.trusted_flagger = 1; break;
        case O_NOTIFIER: a->n.notifier = optarg; break;
        case O_DECISION: a->c.decision_id = strtoll(optarg, NULL, 10); break;
        case O_ORDER: a->c.order_id = strtoll(optarg, NULL, 10); break;
        case O_GROUNDS: a->c.grounds = optarg; break;
        case O_UPHELD: a->upheld = 1; break;
        case O_ANSWER: a->answer = optarg; break;
        default: return -1;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (a->npos == 3)
            return -1;
        a->pos[a->npos++] = argv[i];
    }
    return 0;
}

static int64_t id_arg(const char *s) {
    char *end;
    long long v = s ? strtoll(s, &end, 10) : 0;
    return s && !*end && v > 0 ? (int64_t)v : 0;
}

static int fail(tamis_db *db, const char *cmd) {
    fprintf(stderr, "tamis %s: %s\n", cmd, tamis_db_errmsg(db));
    return EXIT_SOME_FAILED;
}

int cmd_order(int argc, char **argv) {
    act_args a;
    if (parse(argc, argv, &a) != 0 || a.npos == 0) {
        order_usage(stderr);
        json_decref(a.locators);
        return EXIT_USAGE;
    }
    tamis_db *db;
    char err[512];
    if (tamis_db_open(a.db, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis order: %s\n", err);
        json_decref(a.locators);
        return EXIT_SOME_FAILED;
    }
    const char *what = a.pos[0];
    int64_t id = id_arg(a.npos > 1 ? a.pos[1] : NULL);
    int rc = EXIT_OK;
    tamis_order o;
    if (strcmp(what, "receive") == 0 && a.npos == 1) {
        char *loc = json_dumps(a.locators, JSON_COMPACT);
        a.o.locators = loc;
        int64_t nid;
        if (tamis_order_receive(db, NULL, a.as, &a.o, &nid) != TAMIS_OK)
            rc = fail(db, "order");
        else if (tamis_order_get(db, nid, &o) == TAMIS_OK) {
            print_order(NULL, &o);
            tamis_order_clear(&o);
        }
        free(loc);
    } else if (strcmp(what, "step") == 0 && a.npos == 3 && id) {
        tamis_order_state to = tamis_order_state_from_name(a.pos[2]);
        if (!to) {
            order_usage(stderr);
            rc = EXIT_USAGE;
        } else if (tamis_order_step(db, NULL, a.as, id, to, a.note) != TAMIS_OK) {
            rc = fail(db, "order");
        } else if (tamis_order_get(db, id, &o) == TAMIS_OK) {
            print_order(NULL, &o);
            tamis_order_clear(&o);
        }
    } else if (strcmp(what, "show") == 0 && a.npos == 2 && id) {
        if (tamis_order_get(db, id, &o) != TAMIS_OK)
            rc = fail(db, "order");
        else {
            print_order(NULL, &o);
            tamis_order_clear(&o);
        }
    } else if (strcmp(what, "confirm") == 0 && a.npos == 2 && id) {
        char *json;
        if (tamis_order_confirmation(db, id, &json) != TAMIS_OK)
            rc = fail(db, "order");
        else {
            puts(json);
            free(json);
        }
    } else if (strcmp(what, "due") == 0 && a.npos == 1) {
        tamis_status st = tamis_order_due(db, NULL, a.within, print_order, NULL);
        if (st != TAMIS_OK && st != TAMIS_DONE)
            rc = fail(db, "order");
    } else if (strcmp(what, "list") == 0 && a.npos == 1) {
        tamis_status st = tamis_order_list(db, print_order, NULL);
        if (st != TAMIS_OK && st != TAMIS_DONE)
            rc = fail(db, "order");
    } else {
        order_usage(stderr);
        rc = EXIT_USAGE;
    }
    tamis_db_close(db);
    json_decref(a.locators);
    return rc;
}

static void review_usage(FILE *f) {
    fprintf(f, "usage: tamis review list\n"
               "       tamis review claim ID [--lease SECONDS]\n"
               "       tamis review decide ID --action remove|disable|keep|escalate --reason T\n"
               "                           [--false-positive]\n"
               "       tamis review statements [AFTER]   (batches of <= 100, one per line)\n"
               "common: --db URL (default tamis.db), --as WHO (the reviewer)\n");
}

int cmd_review(int argc, char **argv) {
    act_args a;
    if (parse(argc, argv, &a) != 0 || a.npos == 0) {
        review_usage(stderr);
        json_decref(a.locators);
        return EXIT_USAGE;
    }
    json_decref(a.locators);
    tamis_db *db;
    char err[512];
    if (tamis_db_open(a.db, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis review: %s\n", err);
        return EXIT_SOME_FAILED;
    }
    const char *what = a.pos[0];
    int64_t id = id_arg(a.npos > 1 ? a.pos[1] : NULL);
    int rc = EXIT_OK;
    tamis_decision d;
    if (strcmp(what, "list") == 0 && a.npos == 1) {
        tamis_status st = tamis_decision_list(db, TAMIS_DECISION_PENDING, print_decision, NULL);
        if (st != TAMIS_OK && st != TAMIS_DONE)
            rc = fail(db, "review");
    } else if (strcmp(what, "claim") == 0 && a.npos == 2 && id) {
        if (tamis_review_claim(db, NULL, a.as, id, a.lease) != TAMIS_OK)
            rc = fail(db, "review");
        else if (tamis_decision_get(db, id, &d) == TAMIS_OK) {
            print_decision(NULL, &d);
            tamis_decision_clear(&d);
        }
    } else if (strcmp(what, "decide") == 0 && a.npos == 2 && id && a.action) {
        tamis_action act = tamis_action_from_name(a.action);
        if (tamis_review_decide(db, NULL, a.as, id, act, a.reason, a.false_positive) != TAMIS_OK)
            rc = fail(db, "review");
        else if (tamis_decision_get(db, id, &d) == TAMIS_OK) {
            print_decision(NULL, &d);
            tamis_decision_clear(&d);
        }
    } else if (strcmp(what, "statements") == 0 && a.npos <= 2) {
        int64_t after = a.npos == 2 ? id_arg(a.pos[1]) : 0, last;
        for (;;) {
            char *json = NULL;
            size_t count, skipped;
            tamis_sor_problem p;
            if (tamis_decision_statements(db, after, &json, &last, &count, &skipped, &p) !=
                TAMIS_OK) {
                rc = fail(db, "review");
                break;
            }
            if (skipped)
                fprintf(stderr, "tamis review: %zu statement(s) left out: %s: %s\n", skipped,
                        p.field, p.message);
            if (json)
                puts(json);
            free(json);
            if (last == after)
                break;
            after = last;
        }
    } else {
        review_usage(stderr);
        rc = EXIT_USAGE;
    }
    tamis_db_close(db);
    return rc;
}

/* ---- tamis notice, tamis complaint ---------------------------------------------- */

static void print_json(json_t *j) {
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

static void notice_usage(FILE *f) {
    fprintf(f, "usage: tamis notice receive --explanation T [--puid ID] [--trusted-flagger]\n"
               "                            [--notifier CONTACT]\n"
               "       tamis notice decide ID --action remove|disable|keep --reason T\n"
               "       tamis complaint receive (--decision ID | --order ID) --grounds T [--puid ID]\n"
               "       tamis complaint answer ID [--upheld] --answer T\n"
               "common: --db URL (default tamis.db), --as WHO (the audit log's actor)\n");
}

static int notice_or_complaint(int argc, char **argv, int complaint) {
    act_args a;
    if (parse(argc, argv, &a) != 0 || a.npos == 0) {
        notice_usage(stderr);
        json_decref(a.locators);
        return EXIT_USAGE;
    }
    json_decref(a.locators);
    tamis_db *db;
    char err[512];
    const char *cmd = complaint ? "complaint" : "notice";
    if (tamis_db_open(a.db, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis %s: %s\n", cmd, err);
        return EXIT_SOME_FAILED;
    }
    const char *what = a.pos[0];
    int64_t id = id_arg(a.npos > 1 ? a.pos[1] : NULL);
    int rc = EXIT_OK;
    tamis_status st = TAMIS_ERR_INVALID;
    int usage = 0;
    if (!complaint && strcmp(what, "receive") == 0 && a.npos == 1)
        st = tamis_notice_receive(db, NULL, a.as, &a.n, &id);
    else if (!complaint && strcmp(what, "decide") == 0 && a.npos == 2 && id && a.action) {
        tamis_action act = tamis_action_from_name(a.action);
        st = tamis_notice_decide(db, NULL, a.as, id, act, a.reason);
    } else if (complaint && strcmp(what, "receive") == 0 && a.npos == 1)
        st = tamis_complaint_receive(db, NULL, a.as, &a.c, &id);
    else if (complaint && strcmp(what, "answer") == 0 && a.npos == 2 && id)
        st = tamis_complaint_answer(db, NULL, a.as, id, a.upheld, a.answer);
    else
        usage = 1;
    if (usage) {
        notice_usage(stderr);
        rc = EXIT_USAGE;
    } else if (st != TAMIS_OK) {
        rc = fail(db, cmd);
    } else if (!complaint) {
        tamis_notice n;
        if (tamis_notice_get(db, id, &n) == TAMIS_OK) {
            print_json(json_pack("{s:I,s:s?,s:b,s:s,s:s?,s:s?}", "id", (json_int_t)n.id, "puid",
                                 n.puid, "trusted_flagger", n.trusted_flagger, "state",
                                 n.state == TAMIS_NOTICE_RECEIVED ? "received" : "decided",
                                 "reason", n.reason, "outcome", n.outcome));
            tamis_notice_clear(&n);
        }
    } else {
        tamis_complaint c;
        static const char *cs[] = {"", "open", "upheld", "rejected"};
        if (tamis_complaint_get(db, id, &c) == TAMIS_OK) {
            print_json(json_pack("{s:I,s:I,s:I,s:s,s:f,s:b,s:b}", "id", (json_int_t)c.id,
                                 "decision_id", (json_int_t)c.decision_id, "order_id",
                                 (json_int_t)c.order_id, "state", cs[c.state], "due_at", c.due_at,
                                 "answered_in_time", c.answered_in_time, "reinstated",
                                 c.reinstated));
            tamis_complaint_clear(&c);
        }
    }
    tamis_db_close(db);
    return rc;
}

int cmd_notice(int argc, char **argv) { return notice_or_complaint(argc, argv, 0); }
int cmd_complaint(int argc, char **argv) { return notice_or_complaint(argc, argv, 1); }
