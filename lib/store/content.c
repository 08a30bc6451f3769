/*
 * content.c - the items of banks and their signals: adding, reading,
 * updating, deleting, listing and finding them by signal. Each write and
 * its change-log rows commit together (db.c's transactions). Signal values
 * are normalised before they are stored (check.c), so that a hash is found
 * whatever case it was given in.
 */
#include <string.h>
#include <time.h>

#include "store.h"

#define CONTENT_PAGE 256

void tamis_content_clear(tamis_content *c) {
    if (!c)
        return;
    tamis__free(c->bank);
    tamis__free(c->labels);
    tamis__free(c->source);
    tamis__free(c->note);
    tamis__free(c->metadata);
    for (size_t i = 0; i < c->n_signals; i++) {
        tamis__free(c->signals[i].type);
        tamis__free(c->signals[i].value);
    }
    tamis__free(c->signals);
    memset(c, 0, sizeof *c);
}

/* Items read from rows of (item, signal): consecutive rows of one item
 * become one tamis_content with all its signals. */
typedef struct content_set {
    tamis_content *items;
    size_t n, cap;
    size_t sig_cap; /* capacity of items[n - 1].signals */
    tamis_status st;
} content_set;

static void content_set_free(content_set *cs) {
    for (size_t i = 0; i < cs->n; i++)
        tamis_content_clear(&cs->items[i]);
    tamis__free(cs->items);
    memset(cs, 0, sizeof *cs);
}

static tamis_status add_item(content_set *cs, const tamis_content *c) {
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? 2 * cs->cap : 16;
        tamis_content *items = tamis__realloc(cs->items, cap * sizeof *items);
        if (!items)
            return TAMIS_ERR_NOMEM;
        cs->items = items;
        cs->cap = cap;
    }
    tamis_status st = TAMIS_OK;
    tamis_content *d = &cs->items[cs->n++];
    *d = *c;
    d->n_signals = 0;
    d->signals = NULL;
    d->bank = tamis__store_strdup(c->bank, &st);
    d->labels = tamis__store_strdup(c->labels, &st);
    d->source = tamis__store_strdup(c->source, &st);
    d->note = tamis__store_strdup(c->note, &st);
    d->metadata = tamis__store_strdup(c->metadata, &st);
    cs->sig_cap = 0;
    return st;
}

static tamis_status add_signal(content_set *cs, const tamis_signal *s) {
    tamis_content *d = &cs->items[cs->n - 1];
    if (d->n_signals == cs->sig_cap) {
        size_t cap = cs->sig_cap ? 2 * cs->sig_cap : 4;
        tamis_signal *sigs = tamis__realloc(d->signals, cap * sizeof *sigs);
        if (!sigs)
            return TAMIS_ERR_NOMEM;
        d->signals = sigs;
        cs->sig_cap = cap;
    }
    tamis_status st = TAMIS_OK;
    tamis_signal *t = &d->signals[d->n_signals++];
    t->type = tamis__store_strdup(s->type, &st);
    t->value = tamis__store_strdup(s->value, &st);
    return st;
}

static int collect_content(void *ctx, const tamis_content *c, const tamis_signal *s) {
    content_set *cs = ctx;
    if (cs->n == 0 || cs->items[cs->n - 1].id != c->id)
        cs->st = add_item(cs, c);
    if (cs->st == TAMIS_OK && s)
        cs->st = add_signal(cs, s);
    return cs->st != TAMIS_OK;
}

/* Ends a read through collect_content. */
static tamis_status collected(tamis_db *db, tamis_status st, content_set *cs) {
    if (cs->st != TAMIS_OK)
        return tamis__fail(&db->err, cs->st, "out of memory reading items");
    return st;
}

/* Item `id`, read inside the caller's transaction when there is one. */
static tamis_status content_load(tamis_db *db, int64_t id, content_set *cs) {
    tamis_status st = collected(db, db->ops->content_select(db, id, collect_content, cs), cs);
    if (st == TAMIS_OK && cs->n == 0)
        st = tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "no item %lld", (long long)id);
    return st;
}

static tamis_status signal_added(tamis_db *db, int64_t content_id, const char *bank,
                                 const tamis_signal *s, int64_t disabled_until) {
    tamis_change ch = {0, TAMIS_CHANGE_SIGNAL_ADDED, content_id, bank,
                       s->type, s->value, disabled_until};
    return db->ops->change_insert(db, &ch);
}

tamis_status tamis_db_content_add(tamis_db *db, const tamis_content *c, int64_t *id) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!c)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no item given");
    if (!tamis__bank_name_ok(c->bank))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "bad bank name \"%.120s\"",
                           c->bank ? c->bank : "(null)");
    if ((st = tamis__check_content(&db->err, c)) != TAMIS_OK)
        return st;
    if (c->n_signals == 0 || !c->signals)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "an item needs at least one signal");
    char buf[TAMIS__SIGNAL_HEX_MAX + 1];
    tamis_signal norm;
    for (size_t i = 0; i < c->n_signals; i++)
        if ((st = tamis__signal_normalise(&db->err, &c->signals[i], buf, &norm)) != TAMIS_OK)
            return st;

    if ((st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    int64_t bank_id = 0, new_id = 0;
    st = tamis__db_bank_id(db, c->bank, &bank_id);
    if (st == TAMIS_OK)
        st = db->ops->content_insert(db, bank_id, c, (int64_t)time(NULL), &new_id);
    for (size_t i = 0; st == TAMIS_OK && i < c->n_signals; i++) {
        st = tamis__signal_normalise(&db->err, &c->signals[i], buf, &norm);
        if (st == TAMIS_OK)
            st = db->ops->signal_insert(db, new_id, &norm);
        if (st == TAMIS_ERR_EXISTS)
            st = tamis__fail(&db->err, TAMIS_ERR_INVALID,
                             "the item has signal %s %.80s twice", norm.type, norm.value);
        if (st == TAMIS_OK)
            st = signal_added(db, new_id, c->bank, &norm, c->disabled_until);
    }
    st = tamis__db_end(db, st);
    if (st == TAMIS_OK && id)
        *id = new_id;
    return st;
}

tamis_status tamis_db_signal_add(tamis_db *db, int64_t content_id, const tamis_signal *s) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    char buf[TAMIS__SIGNAL_HEX_MAX + 1];
    tamis_signal norm;
    if ((st = tamis__signal_normalise(&db->err, s, buf, &norm)) != TAMIS_OK ||
        (st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    content_set cs = {0};
    st = content_load(db, content_id, &cs);
    if (st == TAMIS_OK) {
        st = db->ops->signal_insert(db, content_id, &norm);
        if (st == TAMIS_ERR_EXISTS)
            st = tamis__fail(&db->err, st, "item %lld already has signal %s %.80s",
                             (long long)content_id, norm.type, norm.value);
    }
    if (st == TAMIS_OK)
        st = signal_added(db, content_id, cs.items[0].bank, &norm,
                          cs.items[0].disabled_until);
    content_set_free(&cs);
    return tamis__db_end(db, st);
}

tamis_status tamis_db_content_get(tamis_db *db, int64_t id, tamis_content *out) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!out)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no item to fill");
    memset(out, 0, sizeof *out);
    content_set cs = {0};
    st = content_load(db, id, &cs);
    if (st == TAMIS_OK) {
        *out = cs.items[0];
        memset(&cs.items[0], 0, sizeof cs.items[0]);
    }
    content_set_free(&cs);
    return st;
}

tamis_status tamis_db_content_update(tamis_db *db, const tamis_content *c) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!c)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no item given");
    if ((st = tamis__check_content(&db->err, c)) != TAMIS_OK ||
        (st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    content_set cs = {0};
    st = content_load(db, c->id, &cs);
    if (st == TAMIS_OK)
        st = db->ops->content_update(db, c);
    if (st == TAMIS_OK) {
        tamis_change ch = {0, TAMIS_CHANGE_CONTENT_UPDATED, c->id, cs.items[0].bank,
                           NULL, NULL, c->disabled_until};
        st = db->ops->change_insert(db, &ch);
    }
    content_set_free(&cs);
    return tamis__db_end(db, st);
}

tamis_status tamis_db_content_delete(tamis_db *db, int64_t id) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK || (st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    content_set cs = {0};
    st = content_load(db, id, &cs);
    if (st == TAMIS_OK) { /* the change first, while the item is there */
        tamis_change ch = {0, TAMIS_CHANGE_CONTENT_DELETED, id, cs.items[0].bank,
                           NULL, NULL, 0};
        st = db->ops->change_insert(db, &ch);
    }
    if (st == TAMIS_OK)
        st = db->ops->content_delete(db, id);
    content_set_free(&cs);
    return tamis__db_end(db, st);
}

tamis_status tamis_db_content_list(tamis_db *db, const char *bank, int64_t after_id,
                                   size_t limit, tamis_content_cb cb, void *ctx) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!cb)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no callback");
    if (!tamis__bank_name_ok(bank))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "bad bank name \"%.120s\"",
                           bank ? bank : "(null)");
    int64_t bank_id = 0;
    if ((st = tamis__db_bank_id(db, bank, &bank_id)) != TAMIS_OK)
        return st;
    /* Page by id: each page is a fresh query, so the callback may change
     * the bank (delete the item it is given) without disturbing the list. */
    size_t left = limit;
    for (;;) {
        size_t want = (limit == 0 || left > CONTENT_PAGE) ? CONTENT_PAGE : left;
        content_set cs = {0};
        st = collected(db, db->ops->content_page(db, bank_id, after_id, want,
                                                 collect_content, &cs),
                       &cs);
        size_t got = cs.n;
        for (size_t i = 0; st == TAMIS_OK && i < cs.n; i++) {
            after_id = cs.items[i].id;
            if (cb(ctx, &cs.items[i]))
                st = TAMIS_DONE;
        }
        content_set_free(&cs);
        if (st != TAMIS_OK || got < want)
            break;
        if (limit && (left -= got) == 0)
            break;
    }
    return st;
}

tamis_status tamis_db_content_find(tamis_db *db, const char *bank, const tamis_signal *s,
                                   tamis_content_cb cb, void *ctx) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!cb)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no callback");
    if (!tamis__bank_name_ok(bank))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "bad bank name \"%.120s\"",
                           bank ? bank : "(null)");
    char buf[TAMIS__SIGNAL_HEX_MAX + 1];
    tamis_signal norm;
    int64_t bank_id = 0;
    if ((st = tamis__signal_normalise(&db->err, s, buf, &norm)) != TAMIS_OK ||
        (st = tamis__db_bank_id(db, bank, &bank_id)) != TAMIS_OK)
        return st;
    /* Few items share a signal: read them all, then call back. */
    content_set cs = {0};
    st = collected(db, db->ops->content_find(db, bank_id, &norm, collect_content, &cs), &cs);
    for (size_t i = 0; st == TAMIS_OK && i < cs.n; i++)
        if (cb(ctx, &cs.items[i]))
            st = TAMIS_DONE;
    content_set_free(&cs);
    return st;
}
