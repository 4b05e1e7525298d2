/*
 * corpus.c - labelled corpus generator and scorer (see corpus.h).
 *
 * Everything is invented: word lists and templates below are made up for
 * this generator; no page text from anywhere is copied.
 */
#include "corpus.h"

#include "common/fa_buf.h"
#include "common/fa_digest.h"
#include "common/fa_err.h"
#include "dedup/text_norm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- randomness ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static unsigned below(rng *r, unsigned n)
{
    return n ? (unsigned)(rnd(r) % n) : 0;
}

#define PICK(r, arr) (arr[below((r), sizeof(arr) / sizeof(arr[0]))])

/* ---- vocabularies ---- */

static const char *const g0_subjects[] = {"the city council",
                                          "the transport authority",
                                          "local residents",
                                          "the mayor's office",
                                          "a council spokesperson",
                                          "the opposition group",
                                          "school governors",
                                          "the harbour board",
                                          "shop owners on the high street",
                                          "the planning committee",
                                          "the fire service",
                                          "the regional health trust",
                                          "parents at the primary school",
                                          "the cycling campaign",
                                          "the district auditor",
                                          "tenants of the estate",
                                          "the parks department",
                                          "volunteers"};
static const char *const g0_verbs[] = {
    "approved", "rejected",   "delayed", "announced", "criticised",  "reviewed", "postponed",
    "welcomed", "questioned", "funded",  "defended",  "scaled back", "extended", "paused"};
static const char *const g0_mods[] = {"on Tuesday",
                                      "after a long debate",
                                      "despite objections from neighbours",
                                      "for the third time this year",
                                      "at a packed public meeting",
                                      "late on Thursday evening",
                                      "without a formal vote",
                                      "ahead of the winter",
                                      "following a consultation",
                                      "in a letter to residents",
                                      "before the summer recess",
                                      "under pressure from campaigners"};
static const char *const g0_adjs[] = {"expensive",    "overdue",   "controversial", "popular",
                                      "temporary",    "ambitious", "modest",        "unworkable",
                                      "long-awaited", "cheaper",   "safer",         "smaller"};
static const char *const g0_topics[][8] = {
    {"bus lanes", "the night bus service", "ticket prices", "the depot expansion",
     "the new timetable", "bus shelters", "the route changes", "driver shortages"},
    {"the library", "opening hours", "the reading room", "the book budget", "the mobile library",
     "the archive wing", "volunteer staff", "the children's section"},
    {"the flood defences", "the river wall", "drainage works", "the pumping station",
     "sandbag stores", "the warning sirens", "the embankment path", "the insurance scheme"},
    {"the housing plan", "affordable homes", "the tower block", "rent levels", "the empty offices",
     "the waiting list", "the building site", "the new estate"},
    {"the school meals", "the kitchen contract", "free breakfasts", "the canteen",
     "the nutrition guidelines", "the supplier", "portion sizes", "the dining hall"}};
static const char *const g0_names[] = {
    "Maria Okafor", "Tom Brennan",  "Ines Dalgaard", "Ravi Menon", "Clare Whitby",
    "Jonas Feld",   "Aisha Rahman", "Peter Lund",    "Greta Holm", "Samuel Achebe"};
static const char *const g0_roles[] = {"a local councillor",        "the committee chair",
                                       "a resident of forty years", "the head teacher",
                                       "a union representative",    "the project manager"};
static const char *const g0_quotes[] = {
    "We have listened carefully and we think this is the right decision",
    "Nobody asked the people who actually use it every day",
    "The figures simply do not add up",
    "This is a good start but there is more to do",
    "We will keep fighting until the plans are changed",
    "It has taken far too long to get here"};

static const char *const g1_subjects[] = {
    "the chipmaker",          "analysts at the bank",
    "the central bank",       "researchers at the institute",
    "the regulator",          "institutional investors",
    "the battery start-up",   "the shipping group",
    "the drug developer",     "economists surveyed by the agency",
    "the telescope team",     "the pension fund",
    "the satellite operator", "the mining company",
    "the laboratory"};
static const char *const g1_verbs[] = {"raised",   "cut",       "forecast",  "reported",
                                       "measured", "published", "confirmed", "revised",
                                       "doubled",  "halved",    "disclosed", "targeted"};
static const char *const g1_topics[][8] = {
    {"quarterly revenue", "its profit guidance", "memory prices", "wafer output",
     "the fabrication plant", "export licences", "capital spending", "order backlog"},
    {"interest rates", "the inflation outlook", "bond purchases", "the currency reserve",
     "wage growth", "mortgage lending", "the policy statement", "core prices"},
    {"the trial results", "patient enrolment", "the side effects", "the dosage schedule",
     "the approval filing", "the placebo group", "the second phase", "the manufacturing deal"},
    {"the exoplanet data", "the infrared images", "the mirror alignment", "the orbit model",
     "the dust clouds", "the spectral lines", "the calibration run", "the star catalogue"},
    {"freight rates", "container volumes", "the fuel surcharge", "port congestion",
     "the fleet renewal", "charter contracts", "the canal transit", "insurance premiums"}};
static const char *const g1_when[] = {"in early trading",       "on Monday",
                                      "last quarter",           "over the past year",
                                      "in a regulatory filing", "at its annual meeting",
                                      "in a research note",     "since January",
                                      "in the latest survey",   "overnight"};
static const char *const g1_clauses[] = {
    "a sign that demand is cooling",     "beating most estimates",
    "which surprised several observers", "although margins remain thin",
    "as competition intensifies",        "the sharpest move in a decade",
    "in line with earlier guidance",     "while costs kept rising"};
static const char *const g1_companies[] = {
    "Norvex",         "Halden Group", "Quillon",         "Tarsis",    "Meridian Labs",
    "Ostrava Metals", "Brightwell",   "Koenig Shipping", "Velta Bio", "Auric"};
static const char *const g1_people[] = {"Dana Whitcombe", "Lukas Brandt", "Mei Tanaka",
                                        "Oscar Ibarra",   "Helena Roth",  "Farid Haddad"};

static const char *const ja_mods[] = {
    "十日、",     "記者会見で",       "来月から",   "住民の反対を受けて", "専門家によると、",
    "今年度中に", "関係者によると、", "週明けにも", "長い議論の末に",     "予想を上回る形で"};
static const char *const ja_subj[] = {
    "政府は",     "東京都は", "日本銀行は",       "研究チームは", "市の担当者は",
    "鉄道会社は", "大阪府は", "自動車メーカーは", "気象庁は",     "大学の研究者は"};
static const char *const ja_obj[] = {
    "新しい交通計画を",     "来年度の予算案を",           "地震対策の強化を", "物価の見通しを",
    "観光客の受け入れを",   "再生可能エネルギーの導入を", "港湾施設の拡張を", "学校給食の無償化を",
    "高齢者向けの支援策を", "新型電池の開発計画を"};
static const char *const ja_verb[] = {"発表した。",       "承認した。",         "検討している。",
                                      "明らかにした。",   "延期すると決めた。", "見直す方針だ。",
                                      "正式に決定した。", "撤回した。"};
static const char *const ja_place[] = {"札幌", "仙台", "横浜", "名古屋", "京都",
                                       "神戸", "広島", "福岡", "熊本",   "那覇"};
static const char *const zh_subj[] = {"国务院", "上海市政府", "央行",   "研究人员",   "铁路部门",
                                      "该公司", "广东省",     "专家组", "交通运输部", "气象部门"};
static const char *const zh_verb[] = {"宣布",     "批准了",     "推迟了",     "公布了",
                                      "正在研究", "重新评估了", "正式启动了", "暂停了"};
static const char *const zh_obj[] = {
    "新的交通规划", "明年的预算草案", "防震措施",     "物价预期",     "新能源项目",
    "港口扩建计划", "学校午餐补贴",   "养老服务方案", "电池研发计划", "旅游接待政策"};
static const char *const zh_place[] = {"北京", "广州", "深圳", "成都", "杭州",
                                       "武汉", "西安", "南京", "重庆", "天津"};

/* ---- stories ---- */

typedef struct story {
    char *headline;
    char **paras;
    unsigned n_paras;
    int lang; /* 0 en, 1 ja, 2 zh */
} story;

static void story_free(story *s)
{
    free(s->headline);
    for (unsigned i = 0; i < s->n_paras; i++)
        free(s->paras[i]);
    free(s->paras);
    memset(s, 0, sizeof *s);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static void cap_first(char *s)
{
    if (s && *s) s[0] = (char)toupper((unsigned char)s[0]);
}

static void sentence(fa_buf *b, rng *r, int gen, int topic, int lang)
{
    if (lang == 1) {
        fa_buf_printf(b, "%s%sの%s%s%s%d億円規模で%s", PICK(r, ja_mods), PICK(r, ja_place),
                      PICK(r, ja_subj), PICK(r, ja_mods), PICK(r, ja_obj), 1 + below(r, 900),
                      PICK(r, ja_verb));
        return;
    }
    if (lang == 2) {
        fa_buf_printf(b, "%s%s%d日%s%s，涉及资金约%d亿元。", PICK(r, zh_place), PICK(r, zh_subj),
                      1 + below(r, 28), PICK(r, zh_verb), PICK(r, zh_obj), 1 + below(r, 500));
        return;
    }
    size_t at = b->len;
    if (gen == 0) {
        const char *const *t = g0_topics[topic];
        switch (below(r, 5)) {
        case 0:
            fa_buf_printf(b, "%s %s %s %s.", PICK(r, g0_subjects), PICK(r, g0_verbs),
                          t[below(r, 8)], PICK(r, g0_mods));
            break;
        case 1:
            fa_buf_printf(b, "%s said %s would be %s and %s, %s.", PICK(r, g0_subjects),
                          t[below(r, 8)], PICK(r, g0_adjs), PICK(r, g0_adjs), PICK(r, g0_mods));
            break;
        case 2:
            fa_buf_printf(b, "\"%s,\" said %s, %s.", PICK(r, g0_quotes), PICK(r, g0_names),
                          PICK(r, g0_roles));
            break;
        case 3:
            fa_buf_printf(b, "According to %s, %s will cost %u.%u million pounds and %s %s.",
                          PICK(r, g0_subjects), t[below(r, 8)], 1 + below(r, 90), below(r, 10),
                          PICK(r, g0_verbs), PICK(r, g0_mods));
            break;
        default:
            fa_buf_printf(b, "%s, %s, told the meeting that %s and %s had been %s %s.",
                          PICK(r, g0_names), PICK(r, g0_roles), t[below(r, 8)], t[below(r, 8)],
                          PICK(r, g0_verbs), PICK(r, g0_mods));
        }
    } else {
        const char *const *t = g1_topics[topic];
        switch (below(r, 5)) {
        case 0:
            fa_buf_printf(b, "Shares in %s %s %u.%u percent %s after %s %s %s.",
                          PICK(r, g1_companies), below(r, 2) ? "rose" : "fell", below(r, 20),
                          below(r, 10), PICK(r, g1_when), PICK(r, g1_subjects), PICK(r, g1_verbs),
                          t[below(r, 8)]);
            break;
        case 1:
            fa_buf_printf(b, "%s %s %s %s, %s.", PICK(r, g1_subjects), PICK(r, g1_verbs),
                          t[below(r, 8)], PICK(r, g1_when), PICK(r, g1_clauses));
            break;
        case 2:
            fa_buf_printf(b, "The figures, %s said, point to %s and to %s %s.", PICK(r, g1_people),
                          t[below(r, 8)], t[below(r, 8)], PICK(r, g1_when));
            break;
        case 3:
            fa_buf_printf(b, "%s expects %s to reach %u billion by %u, %s.", PICK(r, g1_companies),
                          t[below(r, 8)], 2 + below(r, 300), 2026 + below(r, 8),
                          PICK(r, g1_clauses));
            break;
        default:
            fa_buf_printf(b, "In a statement %s, %s %s %s while %s %s %s.", PICK(r, g1_when),
                          PICK(r, g1_subjects), PICK(r, g1_verbs), t[below(r, 8)],
                          PICK(r, g1_subjects), PICK(r, g1_verbs), t[below(r, 8)]);
        }
    }
    cap_first(b->data + at);
}

static int make_story(story *s, rng *r, int gen, int topic, int lang)
{
    memset(s, 0, sizeof *s);
    s->lang = lang;
    fa_buf b;
    fa_buf_init(&b, 1 << 20);
    if (lang == 1)
        fa_buf_printf(&b, "%sの%s%s", PICK(r, ja_place), PICK(r, ja_subj), PICK(r, ja_obj));
    else if (lang == 2)
        fa_buf_printf(&b, "%s%s%s", PICK(r, zh_place), PICK(r, zh_subj), PICK(r, zh_obj));
    else if (gen == 0)
        fa_buf_printf(&b, "%s %s %s", PICK(r, g0_subjects), PICK(r, g0_verbs),
                      g0_topics[topic][below(r, 8)]);
    else
        fa_buf_printf(&b, "%s %s %s %s", PICK(r, g1_companies), PICK(r, g1_verbs),
                      g1_topics[topic][below(r, 8)], PICK(r, g1_when));
    cap_first(b.data);
    s->headline = fa_buf_steal(&b, NULL);
    s->n_paras = 5 + below(r, 4);
    s->paras = calloc(s->n_paras + 2, sizeof *s->paras);
    if (s->headline == NULL || s->paras == NULL) return FA_ENOMEM;
    for (unsigned p = 0; p < s->n_paras; p++) {
        unsigned ns = 2 + below(r, 3);
        for (unsigned k = 0; k < ns; k++) {
            if (k) fa_buf_puts(&b, lang ? "" : " ");
            sentence(&b, r, gen, topic, lang);
        }
        s->paras[p] = fa_buf_steal(&b, NULL);
    }
    fa_buf_free(&b);
    return 0;
}

static int copy_story(story *d, const story *s)
{
    memset(d, 0, sizeof *d);
    d->lang = s->lang;
    d->n_paras = s->n_paras;
    d->headline = xstrdup(s->headline);
    d->paras = calloc(s->n_paras + 2, sizeof *d->paras);
    if (d->headline == NULL || d->paras == NULL) return FA_ENOMEM;
    for (unsigned i = 0; i < s->n_paras; i++)
        if ((d->paras[i] = xstrdup(s->paras[i])) == NULL) return FA_ENOMEM;
    return 0;
}

static const char *const g0_swap[][2] = {
    {"said", "stated"},      {"meeting", "session"}, {"residents", "locals"},
    {"approved", "backed"},  {"delayed", "held up"}, {"plans", "proposals"},
    {"expensive", "costly"}, {"after", "following"}, {"council", "authority"},
    {"new", "fresh"},        {"would", "will"},      {"cost", "come to"}};

/* Light rewording: about one word in 25 replaced (a synonym, or dropped). */
static void reword(story *s, rng *r)
{
    for (unsigned p = 0; p < s->n_paras; p++) {
        fa_buf b;
        fa_buf_init(&b, 1 << 20);
        const char *q = s->paras[p];
        while (*q) {
            const char *e = q;
            while (*e && *e != ' ')
                e++;
            size_t n = (size_t)(e - q);
            int done = 0;
            if (below(r, 25) == 0) {
                for (unsigned k = 0; k < sizeof g0_swap / sizeof g0_swap[0]; k++)
                    if (strlen(g0_swap[k][0]) == n && strncmp(q, g0_swap[k][0], n) == 0) {
                        fa_buf_puts(&b, g0_swap[k][1]);
                        done = 1;
                        break;
                    }
                if (!done && n > 3 && islower((unsigned char)q[0]) && e[-1] != '.' &&
                    e[-1] != ',') {
                    fa_buf_puts(&b, below(r, 2) ? "reportedly" : "also");
                    fa_buf_append(&b, " ", 1);
                    fa_buf_append(&b, q, n);
                    done = 1;
                }
            }
            if (!done) fa_buf_append(&b, q, n);
            if (*e) fa_buf_append(&b, " ", 1), e++;
            q = e;
        }
        free(s->paras[p]);
        s->paras[p] = fa_buf_steal(&b, NULL);
        fa_buf_free(&b);
    }
}

/* Applies 1-2 edits; returns a bit mask of what was done. */
static void edit_story(story *s, rng *r, int gen, int topic)
{
    unsigned n = 1 + below(r, 2);
    for (unsigned k = 0; k < n; k++) {
        switch (below(r, 5)) {
        case 0: { /* new headline */
            story tmp;
            if (make_story(&tmp, r, gen, topic, s->lang) == 0) {
                free(s->headline);
                s->headline = tmp.headline;
                tmp.headline = NULL;
            }
            story_free(&tmp);
            break;
        }
        case 1: { /* a sentence added */
            unsigned p = below(r, s->n_paras);
            fa_buf b;
            fa_buf_init(&b, 1 << 20);
            fa_buf_puts(&b, s->paras[p]);
            fa_buf_puts(&b, s->lang ? "" : " ");
            sentence(&b, r, gen, topic, s->lang);
            free(s->paras[p]);
            s->paras[p] = fa_buf_steal(&b, NULL);
            fa_buf_free(&b);
            break;
        }
        case 2: /* the last paragraph cut */
            if (s->n_paras > 4) free(s->paras[--s->n_paras]);
            break;
        case 3: { /* two paragraphs swapped */
            unsigned a = below(r, s->n_paras), c = below(r, s->n_paras);
            char *t = s->paras[a];
            s->paras[a] = s->paras[c];
            s->paras[c] = t;
            break;
        }
        default:
            if (s->lang == 0)
                reword(s, r);
            else if (s->n_paras > 4)
                free(s->paras[--s->n_paras]);
        }
    }
}

/* ---- templates ---- */

typedef struct site {
    char name[64];
    char host[64];
    int tmpl;
    int gen;
} site;

static void put_esc(fa_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fa_buf_puts(b, "&lt;");
        else if (*s == '&')
            fa_buf_puts(b, "&amp;");
        else if (*s == '"')
            fa_buf_puts(b, "&quot;");
        else
            fa_buf_append(b, s, 1);
    }
}

/* Paragraph text with typographic quotes or entities now and then, so the
 * normaliser is exercised. */
static void put_para_text(fa_buf *b, const char *s, int style)
{
    int open = 1;
    for (; *s; s++) {
        if (*s == '"' && style == 1) {
            fa_buf_puts(b, open ? "\xE2\x80\x9C" : "\xE2\x80\x9D");
            open = !open;
        } else if (*s == '\'' && style == 1) {
            fa_buf_puts(b, "\xE2\x80\x99");
        } else if (*s == '\'' && style == 2) {
            fa_buf_puts(b, "&#8217;");
        } else if (*s == '<') {
            fa_buf_puts(b, "&lt;");
        } else if (*s == '&') {
            fa_buf_puts(b, "&amp;");
        } else {
            fa_buf_append(b, s, 1);
        }
    }
}

static void chrome_top(fa_buf *b, const site *st, const char *title, char **others,
                       unsigned n_others)
{
    fa_buf_printf(b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    put_esc(b, title);
    fa_buf_printf(b,
                  " - %s</title><style>body{margin:0}.x{color:#333}</style>"
                  "<script>var cfg={site:'%s',ads:true};</script></head>\n",
                  st->name, st->host);
    static const char *const sections[] = {"News",  "Local",   "Politics", "Business",
                                           "Sport", "Culture", "Opinion",  "Weather"};
    switch (st->tmpl) {
    case 0:
        fa_buf_printf(b,
                      "<body class=\"single\"><div class=\"cookie-banner\"><p>We use cookies to "
                      "improve %s. By continuing you accept our cookie policy and the "
                      "processing of your data by our partners.</p><button>OK</button></div>\n"
                      "<header class=\"site-header\"><a class=\"logo\" href=\"/\">%s</a></header>\n"
                      "<nav><ul>",
                      st->name, st->name);
        for (unsigned i = 0; i < 8; i++)
            fa_buf_printf(b, "<li><a href=\"/%s\">%s</a></li>", sections[i], sections[i]);
        fa_buf_puts(b, "</ul></nav>\n<main><article>\n");
        break;
    case 1:
        fa_buf_printf(b, "<body><div id=\"top-bar\"><div id=\"logo\">%s</div><div id=\"menu\">",
                      st->name);
        for (unsigned i = 0; i < 8; i++)
            fa_buf_printf(b, "<a href=\"/%s\">%s</a> | ", sections[i], sections[i]);
        fa_buf_puts(b, "</div></div>\n<div id=\"page\"><div id=\"story\">\n");
        break;
    case 2:
        fa_buf_printf(
            b,
            "<body bgcolor=\"#ffffff\"><table width=\"100%%\"><tr><td colspan=\"2\"><font "
            "size=\"5\">%s</font></td></tr>\n<tr><td width=\"20%%\" valign=\"top\">",
            st->name);
        for (unsigned i = 0; i < 8; i++)
            fa_buf_printf(b, "<a href=\"/%s\">%s</a><br>", sections[i], sections[i]);
        fa_buf_puts(b, "</td><td valign=\"top\" class=\"bodytext\">\n");
        break;
    case 3:
        fa_buf_printf(
            b,
            "<body><div class=\"consent-modal\" role=\"dialog\"><h2>Your privacy</h2><p>%s and "
            "its 142 partners store and access information on your device. You can "
            "manage your choices at any time.</p></div><div class=\"wrapper\">"
            "<div class=\"masthead\"><h2>%s</h2></div><div class=\"navbar\">",
            st->name, st->name);
        for (unsigned i = 0; i < 8; i++)
            fa_buf_printf(b, "<a href=\"/%s\">%s</a>", sections[i], sections[i]);
        fa_buf_puts(b, "</div><div class=\"container\"><div class=\"row\"><div class=\"col-8\">\n");
        break;
    default:
        fa_buf_printf(
            b,
            "<body><header><h1 class=\"brand\">%s</h1><p class=\"tagline\">All the stories, "
            "from everywhere</p></header><div class=\"sections\">",
            st->name);
        for (unsigned i = 0; i < 8; i++)
            fa_buf_printf(b, "<a class=\"tab\" href=\"/%s\">%s</a> ", sections[i], sections[i]);
        fa_buf_puts(b, "</div><div class=\"content\">\n");
    }
    (void)others, (void)n_others;
}

static void chrome_bottom(fa_buf *b, const site *st, char **others, unsigned n_others)
{
    switch (st->tmpl) {
    case 0:
        fa_buf_puts(b, "</article>\n<aside class=\"sidebar\"><h3>Most read</h3><ol>");
        break;
    case 1:
        fa_buf_puts(b, "</div><div id=\"sidebar\"><h3>Popular now</h3><ul>");
        break;
    case 2:
        fa_buf_puts(b, "</td></tr><tr><td></td><td><b>More headlines:</b><br>");
        break;
    case 3:
        fa_buf_puts(b, "</div><div class=\"col-4 widget-area\"><h3>Trending</h3><ul>");
        break;
    default:
        fa_buf_puts(b, "</div><div class=\"rail\"><h3>Latest</h3><ul>");
    }
    for (unsigned i = 0; i < n_others; i++) {
        fa_buf_printf(b, st->tmpl == 2 ? "<a href=\"/s/%u\">" : "<li><a href=\"/s/%u\">", i);
        put_esc(b, others[i]);
        fa_buf_puts(b, st->tmpl == 2 ? "</a><br>" : "</a></li>");
    }
    switch (st->tmpl) {
    case 0:
        fa_buf_printf(b,
                      "</ol><div class=\"newsletter\"><p>Get the morning briefing from %s in "
                      "your inbox every day before breakfast.</p></div></aside></main>\n"
                      "<footer><p>&copy; 2025 %s. All rights reserved. Registered in England. "
                      "Our journalism is regulated by the press standards body.</p>"
                      "<a href=\"/about\">About</a> <a href=\"/privacy\">Privacy</a></footer>",
                      st->name, st->name);
        break;
    case 1:
        fa_buf_printf(b,
                      "</ul></div></div><div id=\"foot\">%s is published by an independent "
                      "trust. <a href=\"/terms\">Terms</a> <a href=\"/contact\">Contact</a></div>",
                      st->name);
        break;
    case 2:
        fa_buf_printf(b,
                      "</td></tr><tr><td colspan=\"2\"><small>Copyright %s. Reproduction "
                      "without permission prohibited.</small></td></tr></table>",
                      st->name);
        break;
    case 3:
        fa_buf_printf(b,
                      "</ul><div class=\"promo-box\"><p>Subscribe to %s for unlimited access "
                      "to every story, the daily puzzle and our weekend magazine, delivered "
                      "to your door.</p></div></div></div></div></div><div class=\"site-footer\">"
                      "<p>%s Media Ltd.</p></div>",
                      st->name, st->name);
        break;
    default:
        fa_buf_printf(b,
                      "</ul></div><footer class=\"ftr\">%s collects reporting from partners "
                      "under licence.</footer>",
                      st->name);
    }
    fa_buf_puts(b, "</body></html>\n");
}

/* The article itself; truth gets headline + paragraphs. */
static void render_story(fa_buf *b, fa_buf *truth, const site *st, const story *s, rng *r,
                         int merge)
{
    int qstyle = below(r, 3);
    const char *h = st->tmpl == 2 ? "<h2>" : "<h1 class=\"headline\">";
    const char *he = st->tmpl == 2 ? "</h2>\n" : "</h1>\n";
    if (st->tmpl == 0) fa_buf_puts(b, "<header>");
    fa_buf_puts(b, h);
    put_esc(b, s->headline);
    fa_buf_puts(b, he);
    if (st->tmpl == 0) fa_buf_puts(b, "</header>");
    if (truth) {
        fa_buf_puts(truth, s->headline);
        fa_buf_puts(truth, "\n");
    }
    switch (st->tmpl) {
    case 0:
        fa_buf_puts(b, "<p class=\"byline\">By Staff Reporter, 3 hours ago</p><div class=\"share\">"
                       "<a href=\"#\">Share on social</a><a href=\"#\">Email</a></div>"
                       "<div class=\"article-body\">\n");
        break;
    case 1:
        fa_buf_puts(b,
                    "<div class=\"meta\">Updated 10:42 | <a href=\"#c\">12 comments</a></div>\n");
        break;
    case 3:
        fa_buf_puts(b, "<figure><img src=\"/i.jpg\"><figcaption>A file photo. Credit: Agency"
                       "</figcaption></figure><div class=\"entry-content\">\n");
        break;
    default:
        break;
    }
    if (merge) fa_buf_puts(b, "<p>");
    for (unsigned p = 0; p < s->n_paras; p++) {
        if (st->tmpl == 1 && !merge) {
            fa_buf_puts(b, "<div class=\"para\">");
        } else if (!merge) {
            fa_buf_puts(b, "<p>");
        } else if (p) {
            fa_buf_puts(b, " ");
        }
        put_para_text(b, s->paras[p], qstyle);
        if (!merge) fa_buf_puts(b, st->tmpl == 1 ? "</div>\n" : "</p>\n");
        if (truth) {
            fa_buf_puts(truth, s->paras[p]);
            fa_buf_puts(truth, "\n");
        }
        if (p == 1 && st->tmpl == 3 && !merge)
            fa_buf_puts(b, "<p class=\"read-more\"><a href=\"/related\">Read more: the week in "
                           "pictures</a></p>\n");
    }
    if (merge) fa_buf_puts(b, "</p>\n");
    /* a site-wide note inside the article on two templates: learned boilerplate */
    if (st->tmpl == 1)
        fa_buf_printf(
            b,
            "<p>This story is part of the local democracy service run by %s with "
            "support from community donations; republishing is welcome with credit.</p>\n",
            st->name);
    if (st->tmpl == 0)
        fa_buf_puts(b, "</div><p class=\"tags\">Topics: <a href=\"/t\">Local</a></p>\n");
    if (st->tmpl == 3) fa_buf_puts(b, "</div>\n");
}

/* ---- the corpus ---- */

static int pair_add(corpus_pairs *p, uint32_t a, uint32_t b)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 256;
        corpus_pair *nv = realloc(p->v, nc * sizeof *nv);
        if (nv == NULL) return FA_ENOMEM;
        p->v = nv;
        p->cap = nc;
    }
    p->v[p->n++] = (corpus_pair){a, b, 0, 0};
    return 0;
}

static int add_doc(corpus *c, const site *st, const char *path, fa_buf *html, fa_buf *truth)
{
    if (c->n_docs == c->cap_docs) {
        size_t nc = c->cap_docs ? c->cap_docs * 2 : 256;
        corpus_doc *nd = realloc(c->docs, nc * sizeof *nd);
        if (nd == NULL) return FA_ENOMEM;
        c->docs = nd;
        c->cap_docs = nc;
    }
    corpus_doc *d = &c->docs[c->n_docs];
    memset(d, 0, sizeof *d);
    char url[512];
    snprintf(url, sizeof url, "https://%s%s", st->host, path);
    d->url = xstrdup(url);
    d->host = xstrdup(st->host);
    d->len = html->len;
    d->html = fa_buf_steal(html, NULL);
    d->body = truth ? fa_buf_steal(truth, NULL) : NULL;
    uint8_t sha[20];
    fa_sha1_oneshot(d->html, d->len, sha);
    fa_sha1_label(sha, d->digest);
    c->html_bytes += d->len;
    c->n_docs++;
    return d->url && d->host && d->html ? 0 : FA_ENOMEM;
}

typedef struct pending {
    uint32_t doc;
    int kind; /* 0 original, 1 wire, 2 roundup, 3 exact copy */
    int site, topic, cluster;
    uint32_t other[3];
    unsigned n_other;
} pending;

int corpus_generate(int gen, uint32_t seed, unsigned scale, corpus *out)
{
    memset(out, 0, sizeof *out);
    if (gen < 0 || gen > 1 || scale < 4) return FA_EINVAL;
    rng r = {0x9E3779B97F4A7C15ull ^ ((uint64_t)seed << 1) ^ (uint64_t)(gen + 1) * 0x1234567ull};
    for (int i = 0; i < 4; i++)
        rnd(&r);
    enum { N_SITES = 6 };
    site sites[N_SITES + 1];
    static const char *const names0[] = {"Harbour Herald", "Valley Courier",  "The Civic Ledger",
                                         "Northgate Post", "Riverside Times", "County Roundup"};
    static const char *const names1[] = {"Capital Wire",   "Market Brief",   "The Lab Report",
                                         "Freight Weekly", "Signal Finance", "Digest Daily"};
    for (int i = 0; i <= N_SITES; i++) {
        site *st = &sites[i];
        snprintf(st->name, sizeof st->name, "%s", gen ? names1[i % 6] : names0[i % 6]);
        snprintf(st->host, sizeof st->host, "%s%d.example", gen ? "mkt" : "civ", i);
        st->tmpl = i == N_SITES - 1 ? 4 : (i + gen * 2) % 4;
        st->gen = gen;
    }
    const int agg = N_SITES - 1; /* the aggregator */
    int n_topics = 5;
    /* stories kept for rendering the sidebars */
    size_t max_docs = (size_t)scale * N_SITES * 4 + 64;
    pending *pend = calloc(max_docs, sizeof *pend);
    story *stories = calloc(max_docs, sizeof *stories);
    fa_buf *htmls = calloc(max_docs, sizeof *htmls);
    fa_buf *truths = calloc(max_docs, sizeof *truths);
    int *site_of = calloc(max_docs, sizeof *site_of);
    if (!pend || !stories || !htmls || !truths || !site_of) {
        free(pend), free(stories), free(htmls), free(truths), free(site_of);
        return FA_ENOMEM;
    }
    size_t n = 0;
    int rc = 0;
    /* originals: scale per news site, topics cycled so every topic has
     * several stories per site (hard negatives) */
    for (int s = 0; s < N_SITES - 1 && rc == 0; s++)
        for (unsigned k = 0; k < scale && rc == 0; k++) {
            int topic = (int)(k % (unsigned)n_topics);
            rc = make_story(&stories[n], &r, gen, topic, 0);
            pend[n] = (pending){(uint32_t)n, 0, s, topic, -1, {0}, 0};
            site_of[n] = s;
            n++;
        }
    size_t n_orig = n;
    /* wire stories: scale/2 English + 2 Japanese (+ 2 Chinese for gen 1) */
    unsigned n_wire = scale / 2 + 2;
    unsigned n_cjk = gen ? 4 : 2;
    int cluster = 0;
    for (unsigned w = 0; w < n_wire + n_cjk && rc == 0; w++, cluster++) {
        int lang = w < n_wire ? 0 : (w - n_wire) % 2 == 0 ? 1 : 2;
        if (gen == 0 && lang == 2) lang = 1;
        int topic = (int)below(&r, (unsigned)n_topics);
        story base;
        rc = make_story(&base, &r, gen, topic, lang);
        unsigned copies = 2 + below(&r, 3);
        int first_site = (int)below(&r, N_SITES - 1);
        for (unsigned k = 0; k < copies && rc == 0; k++) {
            rc = copy_story(&stories[n], &base);
            if (rc == 0 && k > 0) edit_story(&stories[n], &r, gen, topic);
            int s = (first_site + (int)k) % (N_SITES - 1);
            pend[n] = (pending){(uint32_t)n, 1, s, topic, cluster, {0}, 0};
            site_of[n] = s;
            n++;
        }
        story_free(&base);
    }
    /* roundups on the aggregator: carry 1-3 originals of other sites */
    unsigned n_round = scale / 2 + 1;
    for (unsigned k = 0; k < n_round && rc == 0; k++) {
        int topic = (int)below(&r, (unsigned)n_topics);
        rc = make_story(&stories[n], &r, gen, topic, 0);
        /* the roundup's own story is short: 4 paragraphs */
        while (rc == 0 && stories[n].n_paras > 4)
            free(stories[n].paras[--stories[n].n_paras]);
        pend[n] = (pending){(uint32_t)n, 2, agg, topic, -1, {0}, 2 + below(&r, 2)};
        for (unsigned j = 0; j < pend[n].n_other; j++) {
            uint32_t o;
            int dup;
            do {
                o = (uint32_t)below(&r, (unsigned)n_orig);
                dup = 0;
                for (unsigned q = 0; q < j; q++)
                    dup |= pend[n].other[q] == o;
            } while (dup);
            pend[n].other[j] = o;
        }
        site_of[n] = agg;
        n++;
    }
    /* render */
    for (size_t i = 0; i < n && rc == 0; i++) {
        const site *st = &sites[site_of[i]];
        char *others[5];
        unsigned no = 0;
        for (size_t j = 0; j < n_orig && no < 5; j++)
            if (site_of[j] == site_of[i] && j != i) others[no++] = stories[j].headline;
        fa_buf_init(&htmls[i], 8u << 20);
        fa_buf_init(&truths[i], 8u << 20);
        chrome_top(&htmls[i], st, stories[i].headline, others, no);
        render_story(&htmls[i], &truths[i], st, &stories[i], &r, 0);
        if (pend[i].kind == 2) {
            fa_buf_puts(&htmls[i],
                        "<section class=\"related-articles\"><h2>Related Articles</h2>\n");
            for (unsigned j = 0; j < pend[i].n_other; j++) {
                const story *o = &stories[pend[i].other[j]];
                fa_buf_printf(&htmls[i], "<article class=\"related\"><h3><a href=\"https://%s/s\">",
                              sites[site_of[pend[i].other[j]]].host);
                put_esc(&htmls[i], o->headline);
                fa_buf_printf(&htmls[i], "</a></h3><p class=\"src\">%s</p>\n",
                              sites[site_of[pend[i].other[j]]].name);
                /* the carried text: paragraphs, or merged into one block */
                int merge = below(&r, 3) == 0;
                if (merge) fa_buf_puts(&htmls[i], "<p>");
                for (unsigned p = 0; p < o->n_paras; p++) {
                    if (!merge)
                        fa_buf_puts(&htmls[i], "<p>");
                    else if (p)
                        fa_buf_puts(&htmls[i], " ");
                    put_para_text(&htmls[i], o->paras[p], 0);
                    if (!merge) fa_buf_puts(&htmls[i], "</p>\n");
                    fa_buf_puts(&truths[i], o->paras[p]);
                    fa_buf_puts(&truths[i], "\n");
                }
                if (merge) fa_buf_puts(&htmls[i], "</p>\n");
                fa_buf_puts(&htmls[i], "</article>\n");
            }
            fa_buf_puts(&htmls[i], "</section>\n");
        }
        chrome_bottom(&htmls[i], st, others, no);
    }
    /* fetch order: shuffled; exact copies (of some originals) follow later */
    uint32_t *order = malloc(n * sizeof *order);
    uint32_t *doc_of = malloc(n * sizeof *doc_of);
    if (order == NULL || doc_of == NULL) rc = FA_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        order[i] = (uint32_t)i;
    for (size_t i = n; rc == 0 && i > 1; i--) {
        size_t j = below(&r, (unsigned)i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (size_t k = 0; rc == 0 && k < n; k++) {
        uint32_t i = order[k];
        char path[128];
        snprintf(path, sizeof path, "/%s/story-%u", pend[i].kind == 2 ? "roundup" : "news", i);
        fa_buf copy;
        fa_buf_init(&copy, 8u << 20);
        int exact = pend[i].kind == 0 && below(&r, 8) == 0;
        if (exact) fa_buf_append(&copy, htmls[i].data, htmls[i].len);
        doc_of[i] = (uint32_t)out->n_docs;
        rc = add_doc(out, &sites[site_of[i]], path, &htmls[i], &truths[i]);
        out->docs[out->n_docs - 1].date = (int64_t)out->n_docs;
        if (rc == 0 && exact) {
            strcat(path, "?utm_source=social&utm_medium=share");
            rc = add_doc(out, &sites[site_of[i]], path, &copy, NULL);
            out->docs[out->n_docs - 1].date = (int64_t)out->n_docs;
            if (rc == 0) rc = pair_add(&out->exact, doc_of[i], (uint32_t)out->n_docs - 1);
        }
        fa_buf_free(&copy);
    }
    /* truth */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (size_t j = i + 1; rc == 0 && j < n; j++) {
            if (pend[i].kind == 1 && pend[j].kind == 1 && pend[i].cluster == pend[j].cluster)
                rc = pair_add(&out->near, doc_of[i], doc_of[j]);
            else if (pend[i].kind == 0 && pend[j].kind == 0 && site_of[i] == site_of[j] &&
                     pend[i].topic == pend[j].topic)
                rc = pair_add(&out->hardneg, doc_of[i], doc_of[j]);
        }
        if (pend[i].kind == 2)
            for (unsigned j = 0; rc == 0 && j < pend[i].n_other; j++)
                rc = pair_add(&out->contain, doc_of[i], doc_of[pend[i].other[j]]);
    }
    for (size_t i = 0; i < n; i++) {
        story_free(&stories[i]);
        fa_buf_free(&htmls[i]);
        fa_buf_free(&truths[i]);
    }
    free(order), free(doc_of), free(pend), free(stories), free(htmls), free(truths), free(site_of);
    if (rc < 0) corpus_free(out);
    return rc;
}

void corpus_free(corpus *c)
{
    if (c == NULL) return;
    for (size_t i = 0; i < c->n_docs; i++) {
        free(c->docs[i].url);
        free(c->docs[i].host);
        free(c->docs[i].html);
        free(c->docs[i].body);
    }
    free(c->docs);
    free(c->near.v), free(c->contain.v), free(c->exact.v), free(c->hardneg.v);
    memset(c, 0, sizeof *c);
}

/* ---- the combined-edits corpus (corpus_generate_edits) ---- */

static const char *const ko_mods[] = {"지난 10일",          "기자회견에서",      "다음 달부터",
                                      "주민 반대에 부딪혀", "전문가들에 따르면", "올해 안에",
                                      "관계자에 따르면",    "이번 주 초",        "긴 논의 끝에",
                                      "예상보다 빠르게",    "오는 3월까지",      "공청회를 거쳐"};
static const char *const ko_subj[] = {"서울시는",     "정부는",       "한국은행은", "교육청은",
                                      "국토교통부는", "시민단체는",   "연구진은",   "부산시는",
                                      "기상청은",     "보건복지부는", "항만공사는", "구청은"};
static const char *const ko_obj[] = {
    "새 교통 계획을",     "내년 예산안을",      "지진 대책을",      "물가 전망을",
    "관광객 유치 방안을", "재생에너지 도입을",  "항만 확장 사업을", "무상 급식 확대를",
    "노인 지원책을",      "배터리 개발 계획을", "주차 요금 인상을", "도서관 개관 시간을"};
static const char *const ko_verb[] = {"발표했다.", "승인했다.",        "검토하고 있다.",
                                      "밝혔다.",   "연기하기로 했다.", "재검토할 방침이다.",
                                      "확정했다.", "철회했다."};
static const char *const ko_place[] = {"서울", "부산", "인천", "대구", "광주",
                                       "대전", "울산", "수원", "제주", "청주"};
static const char *const ko_names[] = {"김민준", "이서연", "박지호", "최유진", "정하늘", "강도윤"};
static const char *const ko_roles[] = {"시의원", "위원장",      "주민 대표",
                                       "교장",   "노조 위원장", "사업 담당자"};
static const char *const ko_quotes[] = {"주민들의 의견을 충분히 듣고 내린 결정이다",
                                        "실제로 이용하는 사람들에게는 아무도 묻지 않았다",
                                        "숫자가 전혀 맞지 않는다",
                                        "좋은 출발이지만 아직 할 일이 많다",
                                        "계획이 바뀔 때까지 계속 싸우겠다",
                                        "여기까지 오는 데 너무 오래 걸렸다"};
static const char *const ja_names[] = {"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺"};
static const char *const ja_quotes[] = {"住民の声を十分に聞いた上での判断だ",
                                        "実際に使う人には誰も意見を聞かなかった",
                                        "数字がまったく合わない",
                                        "良い一歩だがまだやるべきことは多い",
                                        "計画が変わるまで闘い続ける",
                                        "ここまで来るのに時間がかかりすぎた"};
static const char *const zh_names[] = {"王", "李", "张", "刘", "陈", "杨"};
static const char *const zh_quotes[] = {
    "这是充分听取居民意见后作出的决定",   "没有人问过真正使用它的人",     "这些数字根本对不上",
    "这是一个好的开始但还有很多工作要做", "在计划改变之前我们会一直坚持", "走到这一步花了太长时间"};
static const char *const ko_local[] = {"우리 지역 주민들에게도 영향이 예상된다.",
                                       "지역 상인들은 이번 결정을 주의 깊게 지켜보고 있다.",
                                       "시내 버스 노선과 학교 일정도 달라질 수 있다."};
static const char *const ja_local[] = {"地元の住民にも影響が出そうだ。",
                                       "地域の商店主らはこの決定を注視している。",
                                       "市内のバス路線や学校の日程も変わる可能性がある。"};
static const char *const zh_local[] = {"本地居民也将受到影响。", "本地商户正在密切关注这一决定。",
                                       "市内公交线路和学校安排也可能随之调整。"};

static const char *const en_places[] = {"Northgate",    "the valley towns", "Lakeshore",
                                        "the old port", "Upland",           "the river district"};

/* synonyms per language: {from, to} */
static const char *const en_syn[][2] = {
    {"said", "stated"},      {"meeting", "session"},     {"residents", "locals"},
    {"approved", "backed"},  {"delayed", "held up"},     {"council", "authority"},
    {"expensive", "costly"}, {"after", "following"},     {"would", "will"},
    {"percent", "per cent"}, {"rose", "climbed"},        {"fell", "dropped"},
    {"expects", "predicts"}, {"reported", "posted"},     {"statement", "release"},
    {"figures", "numbers"},  {"analysts", "experts"},    {"cut", "lowered"},
    {"told", "informed"},    {"criticised", "attacked"}, {"announced", "unveiled"}};
static const char *const ko_syn[][2] = {{"발표했다", "공개했다"}, {"계획", "방안"},
                                        {"예산안", "예산"},       {"주민", "시민"},
                                        {"밝혔다", "전했다"},     {"승인했다", "통과시켰다"},
                                        {"확정했다", "결정했다"}, {"대책", "방침"}};
static const char *const ja_syn[][2] = {
    {"発表した", "公表した"},   {"計画", "構想"},         {"予算案", "予算"},     {"住民", "市民"},
    {"明らかにした", "示した"}, {"承認した", "了承した"}, {"決定した", "決めた"}, {"対策", "方策"}};
static const char *const zh_syn[][2] = {
    {"宣布", "表示"},     {"规划", "方案"},     {"预算草案", "预算"}, {"居民", "市民"},
    {"公布了", "发布了"}, {"批准了", "通过了"}, {"暂停了", "中止了"}, {"措施", "办法"}};

typedef struct para2 {
    char **s;
    unsigned n, cap;
} para2;

typedef struct story2 {
    char *headline;
    para2 *p;
    unsigned n, cap;
    int lang, gen, topic;
    uint32_t edits;
} story2;

static int para2_push(para2 *p, unsigned at, char *s)
{
    if (s == NULL) return FA_ENOMEM;
    if (p->n == p->cap) {
        unsigned nc = p->cap ? p->cap * 2 : 8;
        char **ns = realloc(p->s, nc * sizeof *ns);
        if (ns == NULL) return free(s), FA_ENOMEM;
        p->s = ns, p->cap = nc;
    }
    if (at > p->n) at = p->n;
    memmove(p->s + at + 1, p->s + at, (p->n - at) * sizeof *p->s);
    p->s[at] = s;
    p->n++;
    return 0;
}

static void para2_free(para2 *p)
{
    for (unsigned i = 0; i < p->n; i++)
        free(p->s[i]);
    free(p->s);
    memset(p, 0, sizeof *p);
}

static int story2_push(story2 *st, unsigned at, para2 *p)
{
    if (st->n == st->cap) {
        unsigned nc = st->cap ? st->cap * 2 : 16;
        para2 *np = realloc(st->p, nc * sizeof *np);
        if (np == NULL) return FA_ENOMEM;
        st->p = np, st->cap = nc;
    }
    if (at > st->n) at = st->n;
    memmove(st->p + at + 1, st->p + at, (st->n - at) * sizeof *st->p);
    st->p[at] = *p;
    memset(p, 0, sizeof *p);
    st->n++;
    return 0;
}

static void story2_free(story2 *st)
{
    free(st->headline);
    for (unsigned i = 0; i < st->n; i++)
        para2_free(&st->p[i]);
    free(st->p);
    memset(st, 0, sizeof *st);
}

static int story2_copy(story2 *d, const story2 *s)
{
    memset(d, 0, sizeof *d);
    d->lang = s->lang, d->gen = s->gen, d->topic = s->topic, d->edits = s->edits;
    d->headline = xstrdup(s->headline);
    if (d->headline == NULL) return FA_ENOMEM;
    for (unsigned i = 0; i < s->n; i++) {
        para2 p = {0};
        for (unsigned k = 0; k < s->p[i].n; k++)
            if (para2_push(&p, p.n, xstrdup(s->p[i].s[k])) < 0) return para2_free(&p), FA_ENOMEM;
        if (story2_push(d, d->n, &p) < 0) return para2_free(&p), FA_ENOMEM;
    }
    return 0;
}

/* One sentence of the story's language; an eighth of them with a number
 * or a name of their own so that stories of one topic differ. */
static char *sentence2(rng *r, const story2 *st)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 16);
    switch (st->lang) {
    case 3:
        if (below(r, 5) == 0)
            fa_buf_printf(&b, "\"%s\"라고 %s %s은 말했다.", PICK(r, ko_quotes), PICK(r, ko_roles),
                          PICK(r, ko_names));
        else
            fa_buf_printf(&b, "%s %s %s %s %s %u억 원 규모로 %s", PICK(r, ko_mods),
                          PICK(r, ko_place), PICK(r, ko_subj), PICK(r, ko_mods), PICK(r, ko_obj),
                          1 + below(r, 900), PICK(r, ko_verb));
        break;
    case 1:
        if (below(r, 5) == 0)
            fa_buf_printf(&b, "%sの%s氏は「%s」と述べた。", PICK(r, ja_place), PICK(r, ja_names),
                          PICK(r, ja_quotes));
        else
            sentence(&b, r, st->gen, st->topic, 1);
        break;
    case 2:
        if (below(r, 5) == 0)
            fa_buf_printf(&b, "%s%s先生表示：“%s”。", PICK(r, zh_place), PICK(r, zh_names),
                          PICK(r, zh_quotes));
        else
            sentence(&b, r, st->gen, st->topic, 2);
        break;
    default:
        sentence(&b, r, st->gen, st->topic, 0);
    }
    char *s = fa_buf_steal(&b, NULL);
    fa_buf_free(&b);
    return s;
}

static char *headline2(rng *r, const story2 *st)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 16);
    if (st->lang == 3)
        fa_buf_printf(&b, "%s %s %s", PICK(r, ko_place), PICK(r, ko_subj), PICK(r, ko_obj));
    else {
        story tmp;
        if (make_story(&tmp, r, st->gen, st->topic, st->lang) == 0) fa_buf_puts(&b, tmp.headline);
        story_free(&tmp);
    }
    char *s = fa_buf_steal(&b, NULL);
    fa_buf_free(&b);
    return s;
}

static int make_story2(story2 *st, rng *r, int lang, int topic, unsigned n_paras)
{
    memset(st, 0, sizeof *st);
    st->lang = lang, st->topic = topic % 5, st->gen = topic / 5;
    st->headline = headline2(r, st);
    if (st->headline == NULL) return FA_ENOMEM;
    if (n_paras <= 3) st->edits |= 1u << CORPUS_E_SHORT;
    for (unsigned i = 0; i < n_paras; i++) {
        para2 p = {0};
        unsigned ns = 2 + below(r, 3);
        for (unsigned k = 0; k < ns; k++)
            if (para2_push(&p, p.n, sentence2(r, st)) < 0) return para2_free(&p), FA_ENOMEM;
        if (story2_push(st, st->n, &p) < 0) return para2_free(&p), FA_ENOMEM;
    }
    return 0;
}

static unsigned story2_sentences(const story2 *st)
{
    unsigned n = 0;
    for (unsigned i = 0; i < st->n; i++)
        n += st->p[i].n;
    return n;
}

/* The k-th sentence: paragraph and index. */
static void story2_at(const story2 *st, unsigned k, unsigned *pi, unsigned *si)
{
    for (unsigned i = 0; i < st->n; i++) {
        if (k < st->p[i].n) {
            *pi = i, *si = k;
            return;
        }
        k -= st->p[i].n;
    }
    *pi = *si = 0;
}

/* Replaces occurrences of synonyms in s (each with probability 1/2). */
static char *subst_words(rng *r, const char *s, int lang)
{
    const char *const(*syn)[2] = lang == 3   ? ko_syn
                                 : lang == 1 ? ja_syn
                                 : lang == 2 ? zh_syn
                                             : en_syn;
    size_t n_syn = lang == 3   ? sizeof ko_syn / sizeof ko_syn[0]
                   : lang == 1 ? sizeof ja_syn / sizeof ja_syn[0]
                   : lang == 2 ? sizeof zh_syn / sizeof zh_syn[0]
                               : sizeof en_syn / sizeof en_syn[0];
    fa_buf b;
    fa_buf_init(&b, 1 << 16);
    const char *q = s;
    while (*q) {
        int done = 0;
        for (size_t k = 0; k < n_syn && !done; k++) {
            size_t l = strlen(syn[k][0]);
            if (strncmp(q, syn[k][0], l) != 0) continue; /* q[l] is read only after a match */
            int word_start = lang != 0 || q == s || !isalpha((unsigned char)q[-1]);
            int word_end = lang != 0 || !isalpha((unsigned char)q[l]);
            if (word_start && word_end) {
                if (below(r, 2) == 0)
                    fa_buf_puts(&b, syn[k][1]);
                else
                    fa_buf_append(&b, q, l);
                q += l;
                done = 1;
            }
        }
        if (!done) fa_buf_append(&b, q++, 1);
    }
    char *o = fa_buf_steal(&b, NULL);
    fa_buf_free(&b);
    return o;
}

/* Typos: about one word in 30 (English: two letters swapped or one
 * dropped) or one character in 40 (Hangul, Han, Kana: the next code point). */
static char *typos(rng *r, const char *s, int lang)
{
    fa_buf b;
    fa_buf_init(&b, 1 << 16);
    const unsigned char *q = (const unsigned char *)s;
    while (*q) {
        if (lang == 0) {
            const unsigned char *e = q;
            while (*e && isalpha(*e))
                e++;
            size_t n = (size_t)(e - q);
            if (n >= 4 && below(r, 30) == 0) {
                char w[64];
                if (n >= sizeof w) n = sizeof w - 1;
                memcpy(w, q, n);
                size_t i = 1 + below(r, (unsigned)n - 2);
                if (below(r, 2)) {
                    char t = w[i];
                    w[i] = w[i + 1], w[i + 1] = t;
                    fa_buf_append(&b, w, n);
                } else {
                    fa_buf_append(&b, w, i);
                    fa_buf_append(&b, w + i + 1, n - i - 1);
                }
                q = e;
                continue;
            }
            if (n) {
                fa_buf_append(&b, q, n);
                q = e;
                continue;
            }
            fa_buf_append(&b, q++, 1);
        } else {
            uint32_t c;
            size_t l = text_utf8_next(q, strlen((const char *)q), &c);
            int cjk = (c >= 0xAC00 && c < 0xD7A3) || (c >= 0x4E00 && c < 0x9FA5) ||
                      (c >= 0x3041 && c < 0x3096);
            if (cjk && below(r, 40) == 0) {
                c++;
                char u[4] = {(char)(0xE0 | (c >> 12)), (char)(0x80 | ((c >> 6) & 0x3F)),
                             (char)(0x80 | (c & 0x3F)), 0};
                fa_buf_append(&b, u, 3);
            } else {
                fa_buf_append(&b, q, l);
            }
            q += l;
        }
    }
    char *o = fa_buf_steal(&b, NULL);
    fa_buf_free(&b);
    return o;
}

/* Trims the quote of a sentence to its first half (words, or characters
 * in unspaced scripts).  Returns NULL when the sentence has no quote. */
static char *trim_quote(const char *s, int lang)
{
    const char *open = lang == 1 ? "「" : lang == 2 ? "“" : "\"";
    const char *close = lang == 1 ? "」" : lang == 2 ? "”" : lang == 3 ? "\"" : ",\"";
    const char *a = strstr(s, open);
    if (a == NULL) return NULL;
    a += strlen(open);
    const char *e = strstr(a, close);
    if (e == NULL || e - a < 8) return NULL;
    const char *cut = a + (e - a) / 2;
    if (lang == 0 || lang == 3)
        while (cut > a && *cut != ' ')
            cut--;
    else
        while (cut > a && ((unsigned char)*cut & 0xC0) == 0x80)
            cut--;
    if (cut == a) return NULL;
    fa_buf b;
    fa_buf_init(&b, 1 << 16);
    fa_buf_append(&b, s, (size_t)(cut - s));
    fa_buf_puts(&b, e);
    char *o = fa_buf_steal(&b, NULL);
    fa_buf_free(&b);
    return o;
}

static void each_sentence(story2 *st, rng *r, char *(*fn)(rng *, const char *, int))
{
    for (unsigned i = 0; i < st->n; i++)
        for (unsigned k = 0; k < st->p[i].n; k++) {
            char *n = fn(r, st->p[i].s[k], st->lang);
            if (n) free(st->p[i].s[k]), st->p[i].s[k] = n;
        }
}

/* Applies edit kind e (CORPUS_E_*); returns 1 when it changed the story. */
static int edit2(story2 *st, rng *r, int e)
{
    unsigned ns = story2_sentences(st), pi, si;
    switch (e) {
    case CORPUS_E_HEADLINE: {
        char *h = headline2(r, st);
        if (h == NULL) return 0;
        free(st->headline);
        st->headline = h;
        return 1;
    }
    case CORPUS_E_LEDE: {
        para2 p = {0};
        const char *loc = st->lang == 3   ? PICK(r, ko_local)
                          : st->lang == 1 ? PICK(r, ja_local)
                          : st->lang == 2 ? PICK(r, zh_local)
                                          : NULL;
        fa_buf b;
        fa_buf_init(&b, 1 << 16);
        if (loc)
            fa_buf_puts(&b, loc);
        else
            fa_buf_printf(&b, "Readers in %s will feel the change first, %s told this paper.",
                          PICK(r, en_places), PICK(r, g0_roles));
        para2_push(&p, 0, fa_buf_steal(&b, NULL));
        fa_buf_free(&b);
        para2_push(&p, p.n, sentence2(r, st));
        return story2_push(st, 0, &p) == 0;
    }
    case CORPUS_E_REWRITE: {
        unsigned k = ns * (10 + below(r, 16)) / 100;
        if (k == 0) k = 1;
        for (unsigned i = 0; i < k; i++) {
            story2_at(st, below(r, ns), &pi, &si);
            char *n = sentence2(r, st);
            if (n) free(st->p[pi].s[si]), st->p[pi].s[si] = n;
        }
        return 1;
    }
    case CORPUS_E_SUBST:
        each_sentence(st, r, subst_words);
        return 1;
    case CORPUS_E_TYPO:
        each_sentence(st, r, typos);
        return 1;
    case CORPUS_E_ADD:
        for (unsigned i = 0, k = 1 + below(r, 2); i < k; i++) {
            unsigned p = below(r, st->n);
            para2_push(&st->p[p], below(r, st->p[p].n + 1), sentence2(r, st));
        }
        return 1;
    case CORPUS_E_REMOVE: {
        int done = 0;
        for (unsigned i = 0, k = 1 + below(r, 2); i < k; i++) {
            unsigned p = below(r, st->n);
            if (st->p[p].n < 2) continue;
            unsigned s = below(r, st->p[p].n);
            free(st->p[p].s[s]);
            memmove(st->p[p].s + s, st->p[p].s + s + 1, (st->p[p].n - s - 1) * sizeof(char *));
            st->p[p].n--;
            done = 1;
        }
        return done;
    }
    case CORPUS_E_DROPLAST:
        if (st->n < 3) return 0;
        para2_free(&st->p[--st->n]);
        return 1;
    case CORPUS_E_QUOTES: {
        int done = 0;
        for (unsigned i = 0; i < st->n; i++)
            for (unsigned k = 0; k < st->p[i].n; k++) {
                char *n = trim_quote(st->p[i].s[k], st->lang);
                if (n) free(st->p[i].s[k]), st->p[i].s[k] = n, done = 1;
            }
        return done;
    }
    case CORPUS_E_SWAP: {
        if (st->n < 2) return 0;
        unsigned a = below(r, st->n - 1);
        para2 t = st->p[a];
        st->p[a] = st->p[a + 1];
        st->p[a + 1] = t;
        return 1;
    }
    }
    return 0;
}

/* 2-4 distinct edits (carried texts: 0-2 of the kinds an aggregator makes). */
static void edit2_some(story2 *st, rng *r, unsigned lo, unsigned hi, int carried)
{
    static const int carried_kinds[] = {CORPUS_E_TYPO,     CORPUS_E_SUBST,  CORPUS_E_QUOTES,
                                        CORPUS_E_DROPLAST, CORPUS_E_REMOVE, CORPUS_E_REWRITE};
    unsigned n = lo + below(r, hi - lo + 1);
    uint32_t done = 0;
    for (unsigned tries = 0; tries < 40 && n; tries++) {
        int e = carried ? PICK(r, carried_kinds) : (int)below(r, CORPUS_E_SHORT);
        if (done & (1u << e)) continue;
        /* a carried story keeps its paragraphs but the last; rewriting is light */
        if (edit2(st, r, e)) done |= 1u << e, n--;
    }
    st->edits |= done;
}

typedef struct site2 {
    site s;
    char *boiler[2]; /* paragraphs the site repeats inside article bodies */
} site2;

static void render2(fa_buf *html, fa_buf *truth, const site2 *st, const story2 *s, rng *r,
                    const story2 *quoted, unsigned quoted_para, char **others, unsigned n_others)
{
    story flat;
    memset(&flat, 0, sizeof flat);
    flat.headline = s->headline;
    flat.paras = calloc(s->n + 4, sizeof *flat.paras);
    const char *sep = s->lang == 1 || s->lang == 2 ? "" : " ";
    fa_buf_puts(truth, s->headline);
    fa_buf_puts(truth, "\n");
    unsigned bp = below(r, 10) < 7 ? 1 + below(r, s->n) : 0; /* boilerplate after para bp-1 */
    unsigned bq = quoted ? below(r, s->n + 1) : UINT32_MAX;
    for (unsigned i = 0; flat.paras && i <= s->n; i++) {
        if (i == bq) {
            fa_buf b;
            fa_buf_init(&b, 1 << 16);
            const para2 *qp = &quoted->p[quoted_para];
            for (unsigned k = 0; k < qp->n; k++)
                fa_buf_puts(&b, k ? sep : ""), fa_buf_puts(&b, qp->s[k]);
            fa_buf_puts(truth, b.data);
            fa_buf_puts(truth, "\n");
            flat.paras[flat.n_paras++] = fa_buf_steal(&b, NULL);
            fa_buf_free(&b);
        }
        if (i == bp && bp) flat.paras[flat.n_paras++] = xstrdup(st->boiler[below(r, 2)]);
        if (i == s->n) break;
        fa_buf b;
        fa_buf_init(&b, 1 << 16);
        for (unsigned k = 0; k < s->p[i].n; k++)
            fa_buf_puts(&b, k ? sep : ""), fa_buf_puts(&b, s->p[i].s[k]);
        if (b.data == NULL) fa_buf_puts(&b, "");
        fa_buf_puts(truth, b.data);
        fa_buf_puts(truth, "\n");
        flat.paras[flat.n_paras++] = fa_buf_steal(&b, NULL);
        fa_buf_free(&b);
    }
    chrome_top(html, &st->s, s->headline, others, n_others);
    render_story(html, NULL, &st->s, &flat, r, 0);
    for (unsigned i = 0; i < flat.n_paras; i++)
        free(flat.paras[i]);
    free(flat.paras);
}

static void render2_carried(fa_buf *html, fa_buf *truth, const site2 *from, const story2 *o, rng *r)
{
    const char *sep = o->lang == 1 || o->lang == 2 ? "" : " ";
    fa_buf_printf(html, "<article class=\"related\"><h3><a href=\"https://%s/s\">", from->s.host);
    put_esc(html, o->headline);
    fa_buf_printf(html, "</a></h3><p class=\"src\">%s</p>\n", from->s.name);
    int merge = below(r, 3) == 0;
    if (merge) fa_buf_puts(html, "<p>");
    for (unsigned p = 0; p < o->n; p++) {
        if (!merge)
            fa_buf_puts(html, "<p>");
        else if (p)
            fa_buf_puts(html, sep);
        for (unsigned k = 0; k < o->p[p].n; k++) {
            if (k) fa_buf_puts(html, sep), fa_buf_puts(truth, sep);
            put_para_text(html, o->p[p].s[k], 0);
            fa_buf_puts(truth, o->p[p].s[k]);
        }
        fa_buf_puts(truth, "\n");
        if (!merge) fa_buf_puts(html, "</p>\n");
    }
    if (merge) fa_buf_puts(html, "</p>\n");
    fa_buf_puts(html, "</article>\n");
}

const char *corpus_edit_name(int kind)
{
    static const char *const names[] = {"headline", "lede", "rewrite", "substitute",
                                        "typos",    "add",  "remove",  "drop-last",
                                        "quotes",   "swap", "short"};
    return kind >= 0 && kind < CORPUS_E_KINDS ? names[kind] : "?";
}

static int pair_add2(corpus_pairs *p, uint32_t a, uint32_t b, uint32_t edits, int kind)
{
    int rc = pair_add(p, a, b);
    if (rc == 0) p->v[p->n - 1].edits = edits, p->v[p->n - 1].kind = kind;
    return rc;
}

typedef struct pend2 {
    int kind; /* 0 original, 1 wire copy, 2 roundup, 3 background, 4 follow-up */
    int site, topic, cluster;
    uint32_t rel; /* background/follow-up: the story it repeats */
    unsigned rel_para[2], n_rel;
    uint32_t other[3];
    unsigned n_other;
    story2 carried[3];
} pend2;

int corpus_generate_edits(int lang, uint32_t seed, unsigned n_stories, corpus *out)
{
    memset(out, 0, sizeof *out);
    if (lang < 0 || lang > 3 || n_stories < 100) return FA_EINVAL;
    rng r = {0xD1B54A32D192ED03ull ^ ((uint64_t)seed << 1) ^ (uint64_t)(lang + 7) * 0x9E37ull};
    for (int i = 0; i < 4; i++)
        rnd(&r);
    enum { N_SITES = 12 };
    static const char *const names[] = {
        "Harbour Herald", "Valley Courier", "The Civic Ledger", "Northgate Post", "Riverside Times",
        "Capital Wire",   "Market Brief",   "The Lab Report",   "Freight Weekly", "Signal Finance",
        "Lakeshore Echo", "Upland Gazette", "Digest Daily"};
    site2 sites[N_SITES + 1];
    memset(sites, 0, sizeof sites);
    int rc = 0;
    for (int i = 0; i <= N_SITES; i++) {
        site2 *st = &sites[i];
        snprintf(st->s.name, sizeof st->s.name, "%s", names[i]);
        snprintf(st->s.host, sizeof st->s.host, "w%d-%d.example", lang, i);
        st->s.tmpl = i == N_SITES ? 4 : i % 4;
        for (int k = 0; k < 2; k++) {
            fa_buf b;
            fa_buf_init(&b, 1 << 16);
            if (lang == 3)
                fa_buf_printf(&b,
                              k ? "%s 기사에 오류가 있으면 독자센터로 알려 주십시오. 이틀 안에 "
                                  "검토해 답변드립니다."
                                : "%s은 독자 여러분의 후원으로 운영됩니다. 매달 후원으로 지역 "
                                  "보도를 모두에게 무료로 지켜 주세요.",
                              st->s.name);
            else if (lang == 1)
                fa_buf_printf(&b,
                              k ? "%sの記事に誤りを見つけた場合は読者窓口までご連絡ください。"
                                  "二営業日以内に確認します。"
                                : "%sは読者の皆様の支援で運営されています。毎月のご支援で地域の"
                                  "報道を守ってください。",
                              st->s.name);
            else if (lang == 2)
                fa_buf_printf(&b,
                              k ? "如发现%s报道中的错误，请联系读者服务中心，我们将在两个工作日"
                                  "内核实。"
                                : "%s依靠读者的支持运营。每月一次的捐助能让本地新闻对所有人免费"
                                  "开放。",
                              st->s.name);
            else
                fa_buf_printf(&b,
                              k ? "Corrections: if you spot an error in this article, write to "
                                  "the %s standards desk and we will review it within two "
                                  "working days."
                                : "%s relies on readers like you. Support our newsroom with a "
                                  "monthly contribution and help keep local reporting free for "
                                  "everyone.",
                              st->s.name);
            st->boiler[k] = fa_buf_steal(&b, NULL);
            fa_buf_free(&b);
            if (st->boiler[k] == NULL) rc = FA_ENOMEM;
        }
    }
    size_t max = (size_t)n_stories * 2 + 64;
    pend2 *pend = calloc(max, sizeof *pend);
    story2 *stories = calloc(max, sizeof *stories);
    if (pend == NULL || stories == NULL) rc = FA_ENOMEM;
    size_t n = 0;
    /* shares: 45% originals, 30% wire copies, 8% background, 8% follow-ups, 9% roundups */
    unsigned n_orig = n_stories * 45 / 100, n_bg = n_stories * 8 / 100, n_fu = n_stories * 8 / 100,
             n_round = n_stories * 9 / 100;
    unsigned n_wire_docs = n_stories - n_orig - n_bg - n_fu - n_round;
    for (unsigned k = 0; rc == 0 && k < n_orig; k++) {
        int s = (int)(k % N_SITES), topic = (int)((k / N_SITES) % 10);
        unsigned np = below(&r, 4) == 0 ? 2 + below(&r, 2) : 4 + below(&r, 5);
        rc = make_story2(&stories[n], &r, lang, topic, np);
        pend[n] = (pend2){.kind = 0, .site = s, .topic = topic, .cluster = -1};
        n++;
    }
    int cluster = 0;
    for (unsigned made = 0; rc == 0 && made < n_wire_docs; cluster++) {
        int topic = (int)below(&r, 10);
        unsigned np = below(&r, 4) == 0 ? 2 + below(&r, 2) : 4 + below(&r, 5);
        story2 base;
        rc = make_story2(&base, &r, lang, topic, np);
        unsigned copies = 2 + below(&r, 3);
        int first = (int)below(&r, N_SITES);
        int keep_original = below(&r, 2);
        for (unsigned k = 0; rc == 0 && k < copies; k++) {
            rc = story2_copy(&stories[n], &base);
            if (rc == 0 && (k > 0 || !keep_original)) edit2_some(&stories[n], &r, 2, 4, 0);
            pend[n] = (pend2){.kind = 1,
                              .site = (first + (int)k * 5) % N_SITES,
                              .topic = topic,
                              .cluster = cluster};
            n++, made++;
        }
        story2_free(&base);
    }
    /* background stories and follow-ups of originals with >= 4 (3) paragraphs */
    for (unsigned k = 0; rc == 0 && k < n_bg + n_fu; k++) {
        int fu = k >= n_bg;
        uint32_t o;
        unsigned tries = 0;
        do
            o = below(&r, n_orig);
        while (stories[o].n < (fu ? 3u : 5u) && ++tries < 100);
        rc = make_story2(&stories[n], &r, lang, stories[o].topic + stories[o].gen * 5,
                         (fu ? 3 : 4) + below(&r, 4));
        pend[n] = (pend2){.kind = fu ? 4 : 3,
                          .site = (int)below(&r, N_SITES),
                          .topic = stories[o].topic,
                          .cluster = -1,
                          .rel = o};
        pend[n].n_rel = fu ? 1 : 1 + below(&r, 2);
        pend[n].rel_para[0] = below(&r, stories[o].n);
        pend[n].rel_para[1] = (pend[n].rel_para[0] + 1) % stories[o].n;
        /* a background story carries the paragraphs as its own */
        for (unsigned j = 0; rc == 0 && !fu && j < pend[n].n_rel; j++) {
            para2 p = {0};
            const para2 *src = &stories[o].p[pend[n].rel_para[j]];
            for (unsigned q = 0; q < src->n; q++)
                para2_push(&p, p.n, xstrdup(src->s[q]));
            rc = story2_push(&stories[n], below(&r, stories[n].n + 1), &p);
        }
        n++;
    }
    /* roundups on the aggregator */
    for (unsigned k = 0; rc == 0 && k < n_round; k++) {
        int topic = (int)below(&r, 10);
        rc = make_story2(&stories[n], &r, lang, topic, 3 + below(&r, 2));
        pend[n] = (pend2){.kind = 2, .site = N_SITES, .topic = topic, .cluster = -1};
        pend[n].n_other = 2 + below(&r, 2);
        for (unsigned j = 0; rc == 0 && j < pend[n].n_other; j++) {
            uint32_t o;
            int dup;
            do {
                o = below(&r, n_orig);
                dup = 0;
                for (unsigned q = 0; q < j; q++)
                    dup |= pend[n].other[q] == o;
            } while (dup);
            pend[n].other[j] = o;
            rc = story2_copy(&pend[n].carried[j], &stories[o]);
            pend[n].carried[j].edits &= 1u << CORPUS_E_SHORT;
            if (rc == 0) edit2_some(&pend[n].carried[j], &r, 0, 2, 1);
        }
        n++;
    }
    /* render and add in a shuffled fetch order */
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    uint32_t *doc_of = malloc((n ? n : 1) * sizeof *doc_of);
    uint32_t *exact_of = malloc((n ? n : 1) * sizeof *exact_of);
    if (order == NULL || doc_of == NULL || exact_of == NULL) rc = FA_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        order[i] = (uint32_t)i, exact_of[i] = UINT32_MAX;
    for (size_t i = n; rc == 0 && i > 1; i--) {
        size_t j = below(&r, (unsigned)i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (size_t k = 0; rc == 0 && k < n; k++) {
        uint32_t i = order[k];
        const pend2 *pd = &pend[i];
        const site2 *st = &sites[pd->site];
        char *others[5];
        unsigned no = 0;
        for (size_t j = 0; j < n_orig && no < 5; j++)
            if (pend[j].site == pd->site && j != i) others[no++] = stories[j].headline;
        fa_buf html, truth;
        fa_buf_init(&html, 8u << 20);
        fa_buf_init(&truth, 8u << 20);
        render2(&html, &truth, st, &stories[i], &r, pd->kind == 4 ? &stories[pd->rel] : NULL,
                pd->rel_para[0], others, no);
        if (pd->kind == 2) {
            fa_buf_puts(&html, "<section class=\"related-articles\"><h2>Related Articles</h2>\n");
            for (unsigned j = 0; j < pd->n_other; j++)
                render2_carried(&html, &truth, &sites[pend[pd->other[j]].site], &pd->carried[j],
                                &r);
            fa_buf_puts(&html, "</section>\n");
        }
        chrome_bottom(&html, &st->s, others, no);
        char path[128];
        snprintf(path, sizeof path, "/%s/story-%u", pd->kind == 2 ? "roundup" : "news", i);
        fa_buf copy;
        fa_buf_init(&copy, 8u << 20);
        int exact = pd->kind == 0 && below(&r, 12) == 0;
        if (exact) fa_buf_append(&copy, html.data, html.len);
        doc_of[i] = (uint32_t)out->n_docs;
        rc = add_doc(out, &st->s, path, &html, &truth);
        if (rc == 0) out->docs[out->n_docs - 1].date = (int64_t)out->n_docs;
        if (rc == 0 && exact) {
            strcat(path, "?utm_source=social&utm_medium=share");
            rc = add_doc(out, &st->s, path, &copy, NULL);
            if (rc == 0) out->docs[out->n_docs - 1].date = (int64_t)out->n_docs;
            if (rc == 0) rc = pair_add(&out->exact, doc_of[i], (uint32_t)out->n_docs - 1);
            exact_of[i] = (uint32_t)out->n_docs - 1; /* carried by the same roundups */
        }
        fa_buf_free(&html);
        fa_buf_free(&truth);
        fa_buf_free(&copy);
    }
    /* truth */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (size_t j = i + 1; rc == 0 && j < n; j++) {
            const pend2 *a = &pend[i], *b = &pend[j];
            if (a->kind == 1 && b->kind == 1 && a->cluster == b->cluster)
                rc = pair_add2(&out->near, doc_of[i], doc_of[j],
                               stories[i].edits | stories[j].edits, 0);
            else if (a->kind == 0 && b->kind == 0 && a->site == b->site && a->topic == b->topic &&
                     stories[i].gen == stories[j].gen)
                rc = pair_add2(&out->hardneg, doc_of[i], doc_of[j], 0, CORPUS_HN_TOPIC);
        }
        if (pend[i].kind == 3 || pend[i].kind == 4)
            rc = pair_add2(&out->hardneg, doc_of[i], doc_of[pend[i].rel], 0,
                           pend[i].kind == 3 ? CORPUS_HN_BACKGROUND : CORPUS_HN_FOLLOWUP);
        if (pend[i].kind == 2)
            for (unsigned j = 0; rc == 0 && j < pend[i].n_other; j++) {
                uint32_t o = pend[i].other[j];
                rc = pair_add2(&out->contain, doc_of[i], doc_of[o], pend[i].carried[j].edits, 0);
                if (rc == 0 && exact_of[o] != UINT32_MAX)
                    rc = pair_add2(&out->contain, doc_of[i], exact_of[o], pend[i].carried[j].edits,
                                   0);
            }
    }
    for (size_t i = 0; stories && i < n; i++) {
        story2_free(&stories[i]);
        for (unsigned j = 0; j < pend[i].n_other; j++)
            story2_free(&pend[i].carried[j]);
    }
    out->contain_through_exact = 1;
    for (int i = 0; i <= N_SITES; i++)
        free(sites[i].boiler[0]), free(sites[i].boiler[1]);
    free(order), free(doc_of), free(exact_of), free(pend), free(stories);
    if (rc < 0) corpus_free(out);
    return rc;
}

/* ---- scoring ---- */

static uint64_t pkey(uint32_t a, uint32_t b, int ordered)
{
    if (!ordered && a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    return ((uint64_t)a << 32) | b;
}

static int cmp64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int has64(const uint64_t *v, size_t n, uint64_t k)
{
    return bsearch(&k, v, n, sizeof k, cmp64) != NULL;
}

static void prf(corpus_prf *p)
{
    p->precision = p->tp + p->fp ? (double)p->tp / (double)(p->tp + p->fp) : 1.0;
    p->recall = p->tp + p->fn ? (double)p->tp / (double)(p->tp + p->fn) : 1.0;
    p->f1 = p->precision + p->recall > 0 ? 2 * p->precision * p->recall / (p->precision + p->recall)
                                         : 0.0;
}

static const corpus *dbg_corpus; /* for DEDUP_CORPUS_DEBUG */

/* Scores predicted pair keys against truth keys. */
static void score_pairs(uint64_t *pred, size_t np, const corpus_pairs *truth, int ordered,
                        corpus_prf *out)
{
    uint64_t *t = malloc((truth->n ? truth->n : 1) * sizeof *t);
    if (t == NULL) return;
    for (size_t i = 0; i < truth->n; i++)
        t[i] = pkey(truth->v[i].a, truth->v[i].b, ordered);
    qsort(t, truth->n, sizeof *t, cmp64);
    qsort(pred, np, sizeof *pred, cmp64);
    size_t k = 0;
    for (size_t i = 0; i < np; i++)
        if (i == 0 || pred[i] != pred[i - 1]) pred[k++] = pred[i];
    np = k;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < np; i++) {
        if (has64(t, truth->n, pred[i]))
            out->tp++;
        else
            out->fp++;
        if (getenv("DEDUP_CORPUS_DEBUG") && !has64(t, truth->n, pred[i]))
            fprintf(stderr, "FP %s %s\n", dbg_corpus->docs[pred[i] >> 32].url,
                    dbg_corpus->docs[(uint32_t)pred[i]].url);
    }
    for (size_t i = 0; getenv("DEDUP_CORPUS_DEBUG") && i < truth->n; i++)
        if (!has64(pred, np, t[i]))
            fprintf(stderr, "FN %s %s\n", dbg_corpus->docs[t[i] >> 32].url,
                    dbg_corpus->docs[(uint32_t)t[i]].url);
    out->fn = truth->n - out->tp;
    prf(out);
    free(t);
}

static uint32_t uf_find(uint32_t *p, uint32_t x)
{
    while (p[x] != x)
        x = p[x] = p[p[x]];
    return x;
}

typedef struct wordbag {
    uint64_t *h;
    size_t n;
} wordbag;

static void bag_of(const char *s, wordbag *b)
{
    size_t cap = strlen(s) / 2 + 1;
    b->h = malloc(cap * sizeof *b->h);
    b->n = 0;
    if (b->h == NULL) return;
    fa_buf norm;
    fa_buf_init(&norm, 1u << 26);
    /* words of the normalised text; unspaced scripts count per character */
    text_normalize(s, strlen(s), &norm);
    const char *p = norm.data ? norm.data : "";
    while (*p) {
        while (*p && !(isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80))
            p++;
        const char *e = p;
        if ((unsigned char)*p >= 0x80) {
            e++;
            while (*e && ((unsigned char)*e & 0xC0) == 0x80)
                e++;
        } else {
            while (*e && isalnum((unsigned char)*e))
                e++;
        }
        if (e > p && b->n < cap) {
            uint64_t h = 1469598103934665603ull;
            for (const char *q = p; q < e; q++)
                h = (h ^ (unsigned char)*q) * 1099511628211ull;
            b->h[b->n++] = h;
        }
        p = e;
    }
    fa_buf_free(&norm);
    qsort(b->h, b->n, sizeof *b->h, cmp64);
}

double corpus_word_f1(const char *extracted, const char *truth)
{
    wordbag a, t;
    bag_of(extracted, &a);
    bag_of(truth, &t);
    size_t i = 0, j = 0, common = 0;
    while (i < a.n && j < t.n) {
        if (a.h[i] < t.h[j])
            i++;
        else if (a.h[i] > t.h[j])
            j++;
        else
            common++, i++, j++;
    }
    double p = a.n ? (double)common / (double)a.n : 0, r = t.n ? (double)common / (double)t.n : 0;
    free(a.h);
    free(t.h);
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

/* DEDUP_CORPUS_TRACE=FILE: every candidate the engine verified, and the
 * truth, appended to FILE for offline analysis of the decision rules
 * (tools/bench/bench_dedup.c, docs/DEDUP.md):
 *   S                                 a new corpus
 *   N a b edits | K a b edits | H a b kind | E a b    truth (K: a contains b)
 *   U i url
 *   T i body                          (DEDUP_CORPUS_TRACE_BODIES=1: the
 *                                     article's text, newlines as \n)
 *   F a b                             a containment predicted (a contains b,
 *                                     exact-duplicate inference included)
 *   M a b found                       a truth containment and whether found
 *   C i o confirmed sketch_res sk_o_in_i sk_i_in_o o_in_i i_in_o blk_o_in_i
 *     blk_i_in_o same_head kind sketch_n_i sketch_n_o tokens_i tokens_o
 *     lead_i inner_i trail_i found_i lead_o inner_o trail_o found_o
 *     sentences_i sentences_o span_i span_o whole_i whole_o
 *     lead_edge_i inner_touched_i trail_edge_i lead_edge_o inner_touched_o
 *     trail_edge_o
 *     (the last twenty: confirmed candidates; align_own_layout and
 *     align_found_span, align.h) */
typedef struct trace_ctx {
    FILE *f;
    uint32_t *of_doc; /* engine document id -> corpus index (owned by the run) */
    size_t cur, n;
} trace_ctx;

static void trace_candidate(void *ud, const dedup_trace *t)
{
    trace_ctx *x = ud;
    if (t->other >= x->n) return; /* a pending document (dedup_examine) */
    fprintf(x->f,
            "C %zu %u %d %.4f %.4f %.4f %.4f %.4f %.4f %.4f %d %d %u %u %llu %llu %u %u %u %u %u "
            "%u %u %u %u %u %u %u %.4f %.4f %u %u %u %u %u %u\n",
            x->cur, x->of_doc[t->other], t->confirmed, t->sketch_res, t->sketch_other_in_me,
            t->sketch_me_in_other, t->other_in_me, t->me_in_other, t->blk_other_in_me,
            t->blk_me_in_other, t->same_head, t->kind, t->sketch_n, t->other_sketch_n,
            (unsigned long long)t->tokens_me, (unsigned long long)t->tokens_other, t->lay_me[0],
            t->lay_me[1], t->lay_me[2], t->lay_me[3], t->lay_other[0], t->lay_other[1],
            t->lay_other[2], t->lay_other[3], t->sentences_me, t->sentences_other, t->span_me,
            t->span_other, t->whole_me, t->whole_other, t->edges_me[0], t->edges_me[1],
            t->edges_me[2], t->edges_other[0], t->edges_other[1], t->edges_other[2]);
    /* the rest of the measures, one line more (X) */
    fprintf(x->f, "X");
    for (int k = 0; k < 7; k++)
        fprintf(x->f, " %u", t->run_me[k]);
    for (int k = 0; k < 7; k++)
        fprintf(x->f, " %u", t->run_other[k]);
    fprintf(x->f, " %d %d %u %u %.4f %.4f %.4f %.4f %d %d %d %d\n", t->edge_me, t->edge_other,
            t->run_lead_me, t->run_lead_other, t->pair_me, t->pair_other, t->close_me,
            t->close_other, t->over_cap, t->weak, t->sub, t->shared_paragraphs);
}

static void trace_truth(FILE *f, const corpus *c)
{
    fprintf(f, "S\n");
    const char *bodies = getenv("DEDUP_CORPUS_TRACE_BODIES");
    for (size_t i = 0; i < c->n_docs; i++) {
        fprintf(f, "U %zu %s\n", i, c->docs[i].url);
        if (bodies == NULL || *bodies == 0 || c->docs[i].body == NULL) continue;
        fprintf(f, "T %zu ", i);
        for (const char *q = c->docs[i].body; *q; q++)
            fputs(*q == '\n' ? "\\n" : *q == '\\' ? "\\\\" : (char[2]){*q, 0}, f);
        fputc('\n', f);
    }
    for (size_t i = 0; i < c->near.n; i++)
        fprintf(f, "N %u %u %u\n", c->near.v[i].a, c->near.v[i].b, c->near.v[i].edits);
    for (size_t i = 0; i < c->contain.n; i++)
        fprintf(f, "K %u %u %u\n", c->contain.v[i].a, c->contain.v[i].b, c->contain.v[i].edits);
    for (size_t i = 0; i < c->hardneg.n; i++)
        fprintf(f, "H %u %u %d\n", c->hardneg.v[i].a, c->hardneg.v[i].b, c->hardneg.v[i].kind);
    for (size_t i = 0; i < c->exact.n; i++)
        fprintf(f, "E %u %u\n", c->exact.v[i].a, c->exact.v[i].b);
}

/* The corpus through an open engine; tx->of_doc (n + 1 entries, zeroed)
 * maps the engine's document ids back to the corpus's, tx->cur is the
 * document being analysed (for the trace). */
static int score_run(const corpus *c, dedup_engine *eng, trace_ctx *tx, corpus_score *out)
{
    memset(out, 0, sizeof *out);
    dbg_corpus = c;
    size_t n = c->n_docs;
    uint32_t *of_doc = tx->of_doc;
    int rc = 0;
    uint32_t *parent = malloc((n ? n : 1) * sizeof *parent);
    size_t cap = 1024, np_c = 0, np_e = 0;
    uint64_t *pc = malloc(cap * sizeof *pc), *pe = malloc(cap * sizeof *pe);
    uint32_t *docid = malloc((n ? n : 1) * sizeof *docid);
    if (!parent || !pc || !pe || !docid || !of_doc) rc = FA_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        parent[i] = (uint32_t)i;
    double f1_sum = 0;
    size_t f1_n = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const corpus_doc *d = &c->docs[i];
        dedup_input in = {d->url,  d->host,         NULL,    d->digest, NULL,
                          d->date, DEDUP_HTML_PAGE, d->html, d->len,    NULL};
        dedup_result res;
        tx->cur = i;
        rc = dedup_analyze(eng, &in, &res);
        if (rc < 0) {
            dedup_result_free(&res);
            break;
        }
        docid[i] = res.doc;
        if (getenv("DEDUP_CORPUS_DUMP") && strstr(d->url, getenv("DEDUP_CORPUS_DUMP")))
            fprintf(stderr, "=== %s\n%s\n", d->url, res.main_text ? res.main_text : "");
        if (res.doc < n) of_doc[res.doc] = (uint32_t)i;
        if (d->body && strstr(d->url, "roundup") == NULL) {
            f1_sum += corpus_word_f1(res.main_text ? res.main_text : "", d->body);
            f1_n++;
        }
        for (size_t k = 0; k < res.n_findings; k++) {
            const dedup_finding *f = &res.findings[k];
            uint32_t o = of_doc[f->doc];
            if (np_c + 1 >= cap || np_e + 1 >= cap) {
                cap *= 2;
                uint64_t *a = realloc(pc, cap * sizeof *pc), *b = NULL;
                if (a) pc = a;
                if (a) b = realloc(pe, cap * sizeof *pe);
                if (b == NULL) {
                    rc = FA_ENOMEM;
                    break;
                }
                pe = b;
            }
            switch (f->kind) {
            case DEDUP_EXACT:
                pe[np_e++] = pkey((uint32_t)i, o, 0);
                break;
            case DEDUP_NEAR:
                parent[uf_find(parent, (uint32_t)i)] = uf_find(parent, o);
                break;
            case DEDUP_CONTAINS:
                pc[np_c++] = pkey((uint32_t)i, o, 1);
                break;
            case DEDUP_CONTAINED_IN:
                pc[np_c++] = pkey(o, (uint32_t)i, 1);
                break;
            }
            if (getenv("DEDUP_CORPUS_DEBUG"))
                fprintf(stderr, "%s %s %s %.3f res %.3f\n", d->url, dedup_finding_name(f->kind),
                        c->docs[o].url, f->score, f->resemblance);
        }
        dedup_result_free(&res);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc == 0) {
        /* near pairs: every pair inside a predicted cluster */
        size_t pcap = 1024, pn = 0;
        uint64_t *pn_v = malloc(pcap * sizeof *pn_v);
        uint32_t *root = malloc(n * sizeof *root);
        for (size_t i = 0; pn_v && root && i < n; i++)
            root[i] = uf_find(parent, (uint32_t)i);
        for (size_t i = 0; pn_v && root && i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (root[i] == root[j]) {
                    if (pn == pcap) {
                        pcap *= 2;
                        uint64_t *nv = realloc(pn_v, pcap * sizeof *nv);
                        if (nv == NULL) break;
                        pn_v = nv;
                    }
                    pn_v[pn++] = pkey((uint32_t)i, (uint32_t)j, 0);
                }
        if (pn_v == NULL || root == NULL) rc = FA_ENOMEM;
        /* an exact duplicate is its original: the engine keeps no text or
         * sketch of it (a revisit record naming the original), so what
         * carries the original carries it - a containment reported for one
         * counts for the other when the two were reported exact */
        size_t np_c0 = np_c;
        for (size_t e = 0; rc == 0 && c->contain_through_exact && e < np_e; e++) {
            uint32_t u = (uint32_t)(pe[e] >> 32), v = (uint32_t)pe[e];
            for (size_t k = 0; rc == 0 && k < np_c0; k++) {
                uint32_t x = (uint32_t)(pc[k] >> 32), y = (uint32_t)pc[k];
                uint64_t add = y == u   ? pkey(x, v, 1)
                               : y == v ? pkey(x, u, 1)
                               : x == u ? pkey(v, y, 1)
                               : x == v ? pkey(u, y, 1)
                                        : 0;
                if (add == 0) continue;
                if (np_c + 1 >= cap) {
                    uint64_t *a = realloc(pc, cap * 2 * sizeof *pc);
                    if (a == NULL) {
                        rc = FA_ENOMEM;
                        break;
                    }
                    pc = a, cap *= 2;
                    uint64_t *b = realloc(pe, cap * sizeof *pe);
                    if (b == NULL) {
                        rc = FA_ENOMEM;
                        break;
                    }
                    pe = b;
                }
                pc[np_c++] = add;
            }
        }
        out->contain_via_exact = np_c - np_c0;
        if (rc == 0) {
            score_pairs(pn_v, pn, &c->near, 0, &out->near);
            score_pairs(pc, np_c, &c->contain, 1, &out->contain);
            for (size_t k = 0; tx->f && k < np_c; k++) /* the containments predicted */
                if (k == 0 || pc[k] != pc[k - 1])
                    fprintf(tx->f, "F %u %u\n", (uint32_t)(pc[k] >> 32), (uint32_t)pc[k]);
            score_pairs(pe, np_e, &c->exact, 0, &out->exact);
            /* hard negatives: any relation between the pair */
            qsort(pc, np_c, sizeof *pc, cmp64);
            qsort(pe, np_e, sizeof *pe, cmp64);
            out->hardneg_pairs = c->hardneg.n;
            for (size_t i = 0; i < c->hardneg.n; i++) {
                uint32_t a = c->hardneg.v[i].a, b = c->hardneg.v[i].b;
                int bad = root[a] == root[b] || has64(pc, np_c, pkey(a, b, 1)) ||
                          has64(pc, np_c, pkey(b, a, 1)) || has64(pe, np_e, pkey(a, b, 0));
                out->hardneg_fp += bad;
                int k = c->hardneg.v[i].kind;
                if (k >= 0 && k < CORPUS_HN_KINDS)
                    out->hardneg_by_kind[k][0]++, out->hardneg_by_kind[k][1] += bad;
            }
            for (size_t i = 0; i < c->near.n; i++) {
                const corpus_pair *t = &c->near.v[i];
                int found = root[t->a] == root[t->b];
                for (int k = 0; k < CORPUS_E_KINDS; k++)
                    if (t->edits & (1u << k))
                        out->near_by_edit[k][0]++, out->near_by_edit[k][1] += found;
                int ne = __builtin_popcount(t->edits & ((1u << CORPUS_E_SHORT) - 1));
                if (ne > 7) ne = 7;
                out->near_by_n[ne][0]++, out->near_by_n[ne][1] += found;
            }
            for (size_t i = 0; i < c->contain.n; i++) {
                const corpus_pair *t = &c->contain.v[i];
                int found = has64(pc, np_c, pkey(t->a, t->b, 1));
                for (int k = 0; k < CORPUS_E_KINDS; k++)
                    if (t->edits & (1u << k))
                        out->contain_by_edit[k][0]++, out->contain_by_edit[k][1] += found;
                int ne = __builtin_popcount(t->edits & ((1u << CORPUS_E_SHORT) - 1));
                if (ne > 7) ne = 7;
                out->contain_by_n[ne][0]++, out->contain_by_n[ne][1] += found;
                if (tx->f) fprintf(tx->f, "M %u %u %d\n", t->a, t->b, found);
            }
            out->hardneg_fp_rate =
                out->hardneg_pairs ? (double)out->hardneg_fp / (double)out->hardneg_pairs : 0;
            out->extract_f1 = f1_n ? f1_sum / (double)f1_n : 0;
        }
        free(pn_v);
        free(root);
    }
    free(parent), free(pc), free(pe), free(docid);
    return rc;
}

int corpus_score_run(const corpus *c, const char *dir, const dedup_options *opt, corpus_score *out)
{
    memset(out, 0, sizeof *out);
    size_t n = c->n_docs;
    trace_ctx tx = {NULL, calloc(n + 1, sizeof(uint32_t)), 0, n};
    if (tx.of_doc == NULL) return FA_ENOMEM;
    dedup_options eo = {0};
    if (opt) eo = *opt;
    const char *tpath = getenv("DEDUP_CORPUS_TRACE");
    if (tpath && *tpath && (tx.f = fopen(tpath, "a")) != NULL) {
        trace_truth(tx.f, c);
        eo.trace = trace_candidate;
        eo.trace_ud = &tx;
    }
    dedup_engine *eng;
    int rc = dedup_engine_open(dir, &eo, &eng);
    if (rc == 0) {
        rc = score_run(c, eng, &tx, out);
        dedup_engine_close(eng);
    }
    if (tx.f) fclose(tx.f);
    free(tx.of_doc);
    return rc;
}

int corpus_score_run_engine(const corpus *c, dedup_engine *eng, corpus_score *out)
{
    size_t n = c->n_docs;
    trace_ctx tx = {NULL, calloc(n + 1, sizeof(uint32_t)), 0, n};
    if (tx.of_doc == NULL) return FA_ENOMEM;
    int rc = score_run(c, eng, &tx, out);
    free(tx.of_doc);
    return rc;
}
