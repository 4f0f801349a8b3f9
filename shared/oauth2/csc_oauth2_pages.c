/* SPDX-License-Identifier: Apache-2.0 */
/* The pages a person sees: sign-in, consent, and an error that cannot go
 * back to the client.  Templates are HTML with {{name}} (replaced by the
 * value, always HTML-escaped: a template cannot emit raw text) and
 * {{#name}}...{{/name}} (kept only when name has a value).  Names are the
 * page's variables or t_* texts in the request's language.  An admin's
 * CSCOAuth2Templates directory may hold login.html, consent.html,
 * error.html and per-language login.de.html...; what it lacks comes from
 * the defaults below.  Plain forms, no script: they work without
 * JavaScript, and the CSP can forbid every script. */
#include <stdarg.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "base/csc_log.h"
#include "oauth2/csc_oauth2_internal.h"

#define PAGE_HEAD \
    "<!DOCTYPE html>\n<html lang=\"{{lang}}\">\n<head>\n" \
    "<meta charset=\"utf-8\">\n" \
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" \
    "<title>{{title}} - {{service}}</title>\n<style>\n" \
    "body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;" \
    "padding:0 1rem;color:#1a1a1a;line-height:1.5}\n" \
    "label{display:block;margin-top:1rem;font-weight:600}\n" \
    "input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box;" \
    "border:1px solid #666;border-radius:4px}\n" \
    "button{margin:1.5rem .5rem 0 0;padding:.6rem 1.4rem;font-size:1rem;" \
    "border-radius:4px;border:1px solid #0b4f8a;background:#0b5fa5;" \
    "color:#fff}\nbutton.secondary{background:#fff;color:#0b4f8a}\n" \
    ".error{color:#8a0000;border:1px solid #8a0000;padding:.5rem}\n" \
    ".service{color:#555}\n</style>\n</head>\n<body>\n<main>\n" \
    "<p class=\"service\">{{service}}</p>\n"
#define PAGE_TAIL "</main>\n</body>\n</html>\n"

static const char login_default[] =
    PAGE_HEAD
    "<h1>{{t_login_title}}</h1>\n"
    "<p>{{t_login_intro}} <strong>{{client_name}}</strong>.</p>\n"
    "{{#error}}<p class=\"error\" role=\"alert\">{{error}}</p>\n{{/error}}"
    "<form method=\"post\" action=\"{{action}}\">\n"
    "<input type=\"hidden\" name=\"flow\" value=\"{{flow}}\">\n"
    "<input type=\"hidden\" name=\"csrf\" value=\"{{csrf}}\">\n"
    "<label for=\"username\">{{t_username}}</label>\n"
    "<input id=\"username\" name=\"username\" type=\"text\" "
    "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" "
    "required autofocus value=\"{{username}}\">\n"
    "<label for=\"password\">{{t_password}}</label>\n"
    "<input id=\"password\" name=\"password\" type=\"password\" "
    "autocomplete=\"current-password\" required>\n"
    "<button type=\"submit\">{{t_sign_in}}</button>\n"
    "</form>\n"
    PAGE_TAIL;

static const char consent_default[] =
    PAGE_HEAD
    "<h1>{{t_consent_title}}</h1>\n"
    "<p><strong>{{client_name}}</strong> {{t_consent_intro}}</p>\n"
    "<ul>\n<li>{{t_scope_service}}</li>\n</ul>\n"
    "<p>{{t_signed_in_as}} <strong>{{user}}</strong>.</p>\n"
    "<form method=\"post\" action=\"{{action}}\">\n"
    "<input type=\"hidden\" name=\"flow\" value=\"{{flow}}\">\n"
    "<input type=\"hidden\" name=\"csrf\" value=\"{{csrf}}\">\n"
    "<button type=\"submit\" name=\"decision\" value=\"approve\">"
    "{{t_approve}}</button>\n"
    "<button type=\"submit\" name=\"decision\" value=\"deny\" "
    "class=\"secondary\">{{t_deny}}</button>\n"
    "</form>\n"
    PAGE_TAIL;

static const char error_default[] =
    PAGE_HEAD
    "<h1>{{t_error_title}}</h1>\n"
    "<p class=\"error\" role=\"alert\">{{description}}</p>\n"
    "<p>{{t_error_hint}}</p>\n"
    "<p><small>{{error}}</small></p>\n"
    PAGE_TAIL;

typedef struct {
    const char *lang;
    const char *const *texts;   /* name, text, ..., NULL */
} texts_t;

static const char *const texts_en[] = {
    "t_login_title", "Sign in",
    "t_login_intro", "Sign in to let this application use your signing "
                     "service:",
    "t_username", "User name",
    "t_password", "Password",
    "t_sign_in", "Sign in",
    "t_consent_title", "Allow access?",
    "t_consent_intro", "asks for access to your signing service.",
    "t_scope_service", "List your signing credentials and their "
                       "certificates, and ask you to authorize signatures",
    "t_signed_in_as", "You are signed in as",
    "t_approve", "Allow",
    "t_deny", "Deny",
    "t_error_title", "This request cannot be completed",
    "t_error_hint", "Go back to the application you came from and try "
                    "again.",
    "t_wrong_login", "The user name or the password is wrong.",
    "t_too_many", "Too many attempts. Wait a minute and try again.",
    "t_expired", "This page has expired. Go back to the application and "
                 "start again.",
    NULL
};

static const char *const texts_de[] = {
    "t_login_title", "Anmelden",
    "t_login_intro", "Melden Sie sich an, damit diese Anwendung Ihren "
                     "Signaturdienst nutzen kann:",
    "t_username", "Benutzername",
    "t_password", "Passwort",
    "t_sign_in", "Anmelden",
    "t_consent_title", "Zugriff erlauben?",
    "t_consent_intro", "bittet um Zugriff auf Ihren Signaturdienst.",
    "t_scope_service", "Ihre Signaturschl\xc3\xbcssel und Zertifikate "
                       "auflisten und Sie um die Freigabe von Signaturen "
                       "bitten",
    "t_signed_in_as", "Sie sind angemeldet als",
    "t_approve", "Erlauben",
    "t_deny", "Ablehnen",
    "t_error_title", "Diese Anfrage kann nicht ausgef\xc3\xbchrt werden",
    "t_error_hint", "Kehren Sie zur Anwendung zur\xc3\xbc""ck und versuchen "
                    "Sie es erneut.",
    "t_wrong_login", "Benutzername oder Passwort ist falsch.",
    "t_too_many", "Zu viele Versuche. Warten Sie eine Minute.",
    "t_expired", "Diese Seite ist abgelaufen. Beginnen Sie in der "
                 "Anwendung von vorn.",
    NULL
};

static const texts_t languages[] = {
    {"en", texts_en}, {"de", texts_de}, {NULL, NULL}
};

/* The language of tag ("de-AT" -> de), or English. */
static const texts_t *language(const char *tag)
{
    int i;

    for (i = 0; tag && languages[i].lang; i++) {
        apr_size_t n = strlen(languages[i].lang);

        if (!strncasecmp(tag, languages[i].lang, n)
            && (tag[n] == '\0' || tag[n] == '-' || tag[n] == '_')) {
            return &languages[i];
        }
    }
    return &languages[0];
}

const char *oauth2_text(const char *lang, const char *name)
{
    const texts_t *t = language(lang);
    int i;

    for (i = 0; t->texts[i]; i += 2) {
        if (!strcmp(t->texts[i], name)) {
            return t->texts[i + 1];
        }
    }
    return t == &languages[0] ? "" : oauth2_text("en", name);
}

static const char *escape(const char *s, apr_pool_t *p)
{
    apr_size_t n = 0;
    const char *c;
    char *out, *o;

    for (c = s; *c; c++) {
        n += strchr("&<>\"'", *c) ? 6 : 1;
    }
    out = o = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        switch (*c) {
        case '&': memcpy(o, "&amp;", 5); o += 5; break;
        case '<': memcpy(o, "&lt;", 4); o += 4; break;
        case '>': memcpy(o, "&gt;", 4); o += 4; break;
        case '"': memcpy(o, "&quot;", 6); o += 6; break;
        case '\'': memcpy(o, "&#39;", 5); o += 5; break;
        default: *o++ = *c; break;
        }
    }
    *o = '\0';
    return out;
}

static const char *lookup(apr_table_t *vars, const char *lang,
                          const char *name)
{
    const char *v = apr_table_get(vars, name);

    if (!v && !strncmp(name, "t_", 2)) {
        v = oauth2_text(lang, name);
    }
    return v ? v : "";
}

/* Renders tpl; sections do not nest. */
static const char *render(const char *tpl, apr_table_t *vars,
                          const char *lang, apr_pool_t *p)
{
    char *out = "";
    const char *s = tpl;

    while (*s) {
        const char *open = strstr(s, "{{"), *close;
        char *name;

        if (!open || !(close = strstr(open + 2, "}}"))) {
            out = apr_pstrcat(p, out, s, NULL);
            break;
        }
        out = apr_pstrcat(p, out, apr_pstrmemdup(p, s,
                                                 (apr_size_t)(open - s)),
                          NULL);
        name = apr_pstrmemdup(p, open + 2, (apr_size_t)(close - open - 2));
        s = close + 2;
        if (name[0] == '#') {
            const char *end_tag = apr_pstrcat(p, "{{/", name + 1, "}}", NULL);
            const char *end = strstr(s, end_tag);

            if (!end) {
                continue;
            }
            if (*lookup(vars, lang, name + 1)) {
                out = apr_pstrcat(p, out, render(apr_pstrmemdup(
                    p, s, (apr_size_t)(end - s)), vars, lang, p), NULL);
            }
            s = end + strlen(end_tag);
            continue;
        }
        if (name[0] == '/') {
            continue;
        }
        out = apr_pstrcat(p, out, escape(lookup(vars, lang, name), p), NULL);
    }
    return out;
}

static const char *read_template(const char *dir, const char *name,
                                 const char *lang, apr_pool_t *p)
{
    const char *paths[3];
    int i;

    paths[0] = lang ? apr_psprintf(p, "%s/%s.%s.html", dir, name, lang)
                    : NULL;
    paths[1] = lang && strchr(lang, '-')
        ? apr_psprintf(p, "%s/%s.%.*s.html", dir, name,
                       (int)strcspn(lang, "-"), lang) : NULL;
    paths[2] = apr_psprintf(p, "%s/%s.html", dir, name);
    for (i = 0; i < 3; i++) {
        apr_file_t *f;
        apr_finfo_t fi;
        char *buf;
        apr_size_t got;

        if (!paths[i] || apr_file_open(&f, paths[i], APR_FOPEN_READ, 0, p)
                         != APR_SUCCESS) {
            continue;
        }
        if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS
            || fi.size > 256 * 1024) {
            apr_file_close(f);
            continue;
        }
        buf = apr_palloc(p, (apr_size_t)fi.size + 1);
        if (apr_file_read_full(f, buf, (apr_size_t)fi.size, &got)
            != APR_SUCCESS && got != (apr_size_t)fi.size) {
            apr_file_close(f);
            continue;
        }
        buf[got] = '\0';
        apr_file_close(f);
        return buf;
    }
    return NULL;
}

void oauth2_page(csc_call_t *call, int status, oauth2_page_e page,
                 const char *lang, ...)
{
    static const char *const names[] = {"login", "consent", "error"};
    static const char *const defaults[] = {login_default, consent_default,
                                           error_default};
    static const char *const titles[] = {"t_login_title", "t_consent_title",
                                         "t_error_title"};
    apr_pool_t *p = call->req->pool;
    apr_table_t *vars = apr_table_make(p, 16);
    const char *dir = csc_cfg_oauth2_templates(call->env->cfg);
    const char *tpl = NULL, *name, *value, *body;
    csc_response_t *resp = call->resp;
    va_list ap;

    if (!lang || !*lang) {
        lang = csc_cfg_lang(call->env->cfg);
    }
    va_start(ap, lang);
    while ((name = va_arg(ap, const char *)) != NULL) {
        value = va_arg(ap, const char *);
        if (value) {
            apr_table_setn(vars, name, value);
        }
    }
    va_end(ap);
    apr_table_setn(vars, "lang", language(lang)->lang);
    apr_table_setn(vars, "service", csc_cfg_name(call->env->cfg));
    apr_table_setn(vars, "title", oauth2_text(lang, titles[page]));
    if (dir) {
        tpl = read_template(dir, names[page], lang, p);
        if (!tpl) {
            csc_log(CSC_LOG_MARK, CSC_LOG_WARNING, "oauth2: no %s.html in "
                    "%s; using the built-in page", names[page], dir);
        }
    }
    body = render(tpl ? tpl : defaults[page], vars, lang, p);
    resp->status = status;
    resp->content_type = "text/html; charset=utf-8";
    resp->body = body;
    resp->body_len = strlen(body);
    /* no framing (clickjacking), no script, forms only to this origin
     * or to where a redirect after them leads, no referrer to leak the
     * query into other sites */
    apr_table_setn(resp->headers, "X-Frame-Options", "DENY");
    apr_table_setn(resp->headers, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; "
                   "img-src 'self' data:; frame-ancestors 'none'; "
                   "base-uri 'none'");
    apr_table_setn(resp->headers, "X-Content-Type-Options", "nosniff");
    apr_table_setn(resp->headers, "Referrer-Policy", "no-referrer");
}

void oauth2_page_error(csc_call_t *call, int status, const char *lang,
                       const char *error, const char *desc)
{
    call->resp->note_error = error;
    oauth2_page(call, status, PAGE_ERROR, lang, "error", error,
                "description", desc, NULL);
}
