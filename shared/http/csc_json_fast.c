/* SPDX-License-Identifier: Apache-2.0 */
/* The common request body in one pass, and the common answer.  jansson
 * reads a text a byte at a time through a callback and copies every token
 * twice, which made parsing the largest piece of mod_csc's own work per
 * signHash (docs/performance.md).
 * CSC bodies are nearly always objects of plain ASCII strings, small
 * integers, booleans and arrays of those; this parser takes exactly that
 * subset and gives up on anything else (an escape, a byte outside printable
 * ASCII, a fraction or exponent, a long number, a duplicate member, any
 * syntax error), leaving the whole text to jansson.  So jansson alone still
 * decides every refusal and every unusual text, and what this parser
 * accepts must be what jansson would have built from it (fuzz_json checks
 * both).  The writer is the same bargain for answers: jansson's json_dumps
 * looks at every byte of a string through its UTF-8 decoder and grows its
 * buffer by callback; csc_json_fast_dump writes the same compact text
 * straight into the pool when every string is plain ASCII, and leaves the
 * rest to jansson. */
#include <stdio.h>
#include <string.h>

#include "http/csc_json_fast.h"

/* The deepest nesting either side follows itself (CSCMaxJSONDepth's
 * highest value): it bounds their recursion whatever the caller asks. */
#define FAST_MAX_DEPTH 64
/* Digits of an integer it converts itself: any 18 fit in json_int_t. */
#define FAST_MAX_DIGITS 18

typedef struct {
    const char *p;
    const char *end;
} cursor;

static json_t *value(cursor *c, int depth, int max_depth);

static void skip_ws(cursor *c)
{
    while (c->p < c->end
           && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'
               || *c->p == '\r')) {
        c->p++;
    }
}

static int next_is(cursor *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

/* A string of printable ASCII without escapes; c->p on its opening quote.
 * Sets *s and *n to its bytes (not NUL-terminated). */
static int plain_string(cursor *c, const char **s, size_t *n)
{
    const char *start = ++c->p;

    for (; c->p < c->end; c->p++) {
        unsigned char ch = (unsigned char)*c->p;

        if (ch == '"') {
            *s = start;
            *n = (size_t)(c->p - start);
            c->p++;
            return 1;
        }
        if (ch < 0x20 || ch > 0x7e || ch == '\\') {
            return 0;
        }
    }
    return 0;
}

static int literal(cursor *c, const char *word, size_t len)
{
    if ((size_t)(c->end - c->p) < len || memcmp(c->p, word, len) != 0) {
        return 0;
    }
    c->p += len;
    return 1;
}

static int is_digit(cursor *c)
{
    return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* An integer as jansson reads one: an optional minus, then 0 or a digit
 * 1-9 and more digits.  A fraction or exponent makes it a real, which is
 * jansson's to convert. */
static json_t *integer(cursor *c)
{
    json_int_t v = 0;
    int neg = 0, digits = 0;

    if (next_is(c, '-')) {
        neg = 1;
        c->p++;
    }
    if (next_is(c, '0')) {
        c->p++;
        if (is_digit(c)) {
            return NULL;
        }
    }
    else if (is_digit(c)) {
        while (is_digit(c) && digits < FAST_MAX_DIGITS) {
            v = v * 10 + (*c->p++ - '0');
            digits++;
        }
        if (is_digit(c)) {
            return NULL;
        }
    }
    else {
        return NULL;
    }
    if (next_is(c, '.') || next_is(c, 'e') || next_is(c, 'E')) {
        return NULL;
    }
    return json_integer(neg ? -v : v);
}

static json_t *array(cursor *c, int depth, int max_depth)
{
    json_t *arr = json_array();

    c->p++;
    skip_ws(c);
    if (next_is(c, ']')) {
        c->p++;
        return arr;
    }
    while (arr) {
        json_t *v = value(c, depth, max_depth);

        if (!v || json_array_append_new(arr, v) != 0) {
            break;
        }
        skip_ws(c);
        if (next_is(c, ']')) {
            c->p++;
            return arr;
        }
        if (!next_is(c, ',')) {
            break;
        }
        c->p++;
        skip_ws(c);
    }
    json_decref(arr);
    return NULL;
}

static json_t *object(cursor *c, int depth, int max_depth)
{
    json_t *obj = json_object();

    c->p++;
    skip_ws(c);
    if (next_is(c, '}')) {
        c->p++;
        return obj;
    }
    while (obj && next_is(c, '"')) {
        const char *key;
        size_t klen;
        json_t *v;

        if (!plain_string(c, &key, &klen)) {
            break;
        }
        skip_ws(c);
        if (!next_is(c, ':')) {
            break;
        }
        c->p++;
        skip_ws(c);
        /* a repeated member is an error jansson words (JSON_REJECT_
         * DUPLICATES) */
        if (json_object_getn(obj, key, klen)
            || !(v = value(c, depth, max_depth))) {
            break;
        }
        if (json_object_setn_new_nocheck(obj, key, klen, v) != 0) {
            break;
        }
        skip_ws(c);
        if (next_is(c, '}')) {
            c->p++;
            return obj;
        }
        if (!next_is(c, ',')) {
            break;
        }
        c->p++;
        skip_ws(c);
    }
    json_decref(obj);
    return NULL;
}

/* A value at c->p (no white space before it), inside depth arrays and
 * objects. */
static json_t *value(cursor *c, int depth, int max_depth)
{
    const char *s;
    size_t n;

    if (c->p >= c->end) {
        return NULL;
    }
    switch (*c->p) {
    case '{':
        return depth < max_depth ? object(c, depth + 1, max_depth) : NULL;
    case '[':
        return depth < max_depth ? array(c, depth + 1, max_depth) : NULL;
    case '"':
        return plain_string(c, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
    case 't':
        return literal(c, "true", 4) ? json_true() : NULL;
    case 'f':
        return literal(c, "false", 5) ? json_false() : NULL;
    case 'n':
        return literal(c, "null", 4) ? json_null() : NULL;
    default:
        return integer(c);
    }
}

json_t *csc_json_fast_parse(const char *text, size_t len, int max_depth)
{
    cursor c;
    json_t *root;

    if (max_depth > FAST_MAX_DEPTH) {
        max_depth = FAST_MAX_DEPTH;
    }
    c.p = text;
    c.end = text + len;
    skip_ws(&c);
    if (!next_is(&c, '{') || !(root = value(&c, 0, max_depth))) {
        return NULL;
    }
    skip_ws(&c);
    if (c.p != c.end) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A string json_dumps writes as it is, between quotes. */
static int plain_bytes(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') {
            return 0;
        }
    }
    return 1;
}

typedef struct {
    char *out;          /* NULL while measuring */
    size_t len;
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->out) {
        memcpy(w->out + w->len, s, n);
    }
    w->len += n;
}

static int put_string(writer *w, const char *s, size_t n)
{
    if (!w->out && !plain_bytes(s, n)) {
        return 0;
    }
    put(w, "\"", 1);
    put(w, s, n);
    put(w, "\"", 1);
    return 1;
}

/* Writes (or, with w->out NULL, measures and checks) v as json_dumps with
 * JSON_COMPACT would; 0 when v is outside the subset. */
static int dump(writer *w, const json_t *v, int depth)
{
    char num[32];
    size_t i;
    int n;

    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        const json_t *m;
        size_t klen;
        int first = 1;

        if (depth >= FAST_MAX_DEPTH) {
            return 0;
        }
        put(w, "{", 1);
        json_object_keylen_foreach((json_t *)v, key, klen, m) {
            if (!first) {
                put(w, ",", 1);
            }
            first = 0;
            if (!put_string(w, key, klen)) {
                return 0;
            }
            put(w, ":", 1);
            if (!dump(w, m, depth + 1)) {
                return 0;
            }
        }
        put(w, "}", 1);
        return 1;
    }
    case JSON_ARRAY:
        if (depth >= FAST_MAX_DEPTH) {
            return 0;
        }
        put(w, "[", 1);
        for (i = 0; i < json_array_size(v); i++) {
            if (i) {
                put(w, ",", 1);
            }
            if (!dump(w, json_array_get(v, i), depth + 1)) {
                return 0;
            }
        }
        put(w, "]", 1);
        return 1;
    case JSON_STRING:
        return put_string(w, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        if (n <= 0 || (size_t)n >= sizeof(num)) {
            return 0;
        }
        put(w, num, (size_t)n);
        return 1;
    case JSON_TRUE:
        put(w, "true", 4);
        return 1;
    case JSON_FALSE:
        put(w, "false", 5);
        return 1;
    case JSON_NULL:
        put(w, "null", 4);
        return 1;
    default:
        return 0;       /* a real: jansson's own format */
    }
}

const char *csc_json_fast_dump(const json_t *v, apr_pool_t *pool,
                               apr_size_t *len)
{
    writer w = { NULL, 0 };

    if (!v || (!json_is_object(v) && !json_is_array(v)) || !dump(&w, v, 0)) {
        return NULL;
    }
    w.out = apr_palloc(pool, w.len + 1);
    w.len = 0;
    dump(&w, v, 0);
    w.out[w.len] = '\0';
    *len = w.len;
    return w.out;
}
