/*
 * text_vocab.c - the words of a page's template: copyright lines,
 * subscription and "follow us" pitches, share and comment prompts, photo
 * credits, "read also" lines, metadata labels (update and release dates,
 * "further information:"), in the main languages of the web (English,
 * German, French, Spanish, Italian, Portuguese, Polish).
 *
 * The classifier (text_extract.c) asks this of the blocks shorter than a
 * carried story that it would keep, and of the short ones it may take
 * back; each block's text is read once, ASCII letters folded to lower case
 * on the way (the phrases are written in lower case, so an upper-case
 * accented letter does not fold: a missed match, never a wrong one).  A
 * phrase matches at the start of a word (the byte before it is not a
 * letter or digit, nor part of a UTF-8 sequence: "©" too) and as a whole
 * word, or as a stem when it ends in '*': "teilen" matches neither
 * "mitteilen" nor "teilenehmer", "share" not "shareholders", "subscri*"
 * matches "subscribe" and "subscription".  The lists are generic vocabulary, as
 * trafilatura's own filters are, never a site's name.
 */
#include "dedup/text_vocab.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Phrases that mark a block as the publisher's, wherever it sits: rights
 * and reprint notices, affiliate-link disclosures. */
static const char *const strong[] = {
    "affiliate link*",           "affiliate partner*",
    "affiliate-link*",           "all rights reserved",
    "alle rechte vorbehalten",   "copyright ©",
    "derechos reservados",       "direitos reservados",
    "diritti riservati",         "earn a commission",
    "earn a small commission",   "kleine provision",
    "materiał chroniony prawem", "prawa zastrzeżone",
    "reprinted without",         "tous droits réservés",
    "without permission",        "without the permission",
    "written permission",        "© copyright",
};

/* Phrases of the template's short lines (prompts, pitches, credits):
 * only believed for short blocks, where a paragraph of the text rarely
 * holds them. */
static const char *const weak[] = {
    "abonn*",            "advert*",              "aktualisiert am",        "aktuelle themen",
    "also read",         "anzeige*",             "app store",              "assine*",
    "auch interess*",    "beitragsbild*",        "bewert*",                "bild:",
    "bilder:",           "comentar*",            "comment*",               "commentaire",
    "compart*",          "condividi*",           "contact us",             "cookie*",
    "credit:",           "crédit photo*",        "crédits photo*",         "czytaj też",
    "datenschutz*",      "disclaimer*",          "donat*",                 "drucken",
    "eingeloggt",        "externer inhalt",      "facebook",               "folge uns",
    "folgen sie uns",    "folgt uns",            "follow us",              "foto:",
    "fotos:",            "fuente:",              "gefällt*",               "getty images",
    "google play",       "haftungs*",            "hilfreich*",             "image:",
    "instagram",         "istock",               "komentarz*",             "kommentar*",
    "kontakt*",          "last modified",        "last updated",           "lee también",
    "leer más",          "leggi anche",          "leia também",            "lesen sie",
    "linkedin",          "lire aussi",           "log in",                 "login",
    "mehr themen",       "mehr zu",              "mehr zum",               "more from",
    "more information:", "more on",              "más información:",       "newsletter*",
    "nützlich*",         "ohne gewähr",          "partag*",                "photo:",
    "photos:",           "pinterest",            "powered by",             "prenumer*",
    "print this",        "privacy*",             "quelle:",                "quellen:",
    "quellenangabe*",    "rate this",            "rating",                 "read also",
    "read more",         "read next",            "registrier*",            "related",
    "release date",      "schon gelesen",        "see also",               "seguici",
    "share",             "shutterstock",         "sign up",                "source:",
    "sources:",          "spende*",              "sponsor*",               "subscri*",
    "suivez-nous",       "suscr*",               "síguenos",               "teilen",
    "telegram",          "titelbild*",           "twitter",                "udostępnij*",
    "unsplash",          "veja também",          "weitere informationen:", "weitere infos:",
    "weitere themen",    "weiterlesen",          "werbung*",               "whatsapp",
    "you may also",      "you might also",       "youtube",                "zapisz*",
    "zobacz też",        "zuletzt aktualisiert", "zum weiterlesen",        "à lire",
};

#define N_STRONG (sizeof strong / sizeof strong[0])
#define N_WEAK (sizeof weak / sizeof weak[0])
#define N_SLOTS 29

/* Per byte: lower[] its ASCII lower case; word[] 1 for letters, digits and
 * UTF-8 bytes; slot[] a-z 0..25, the UTF-8 lead bytes of Latin-1 letters
 * and signs (0xC2 "©", 0xC3 "à") 26 and 27, anything else 28.
 * pair_bits[1][slot of a phrase's first byte] has the bit of its second
 * byte's slot set, pair_bits[0] the same for the strong phrases alone, so
 * most word starts are passed over on one load;
 * first[l][s] is the index of list l's first phrase whose first byte has
 * slot s or more (the lists are sorted). */
static unsigned char lower[256], word[256], slot[256];
static uint32_t pair_bits[2][N_SLOTS];
static uint8_t first[2][N_SLOTS + 1];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_init(void)
{
    for (unsigned c = 0; c < 256; c++) {
        lower[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        word[c] =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
        slot[c] = (unsigned char)(c >= 'a' && c <= 'z' ? c - 'a'
                                  : c == 0xC2          ? 26
                                  : c == 0xC3          ? 27
                                                       : 28);
    }
    const char *const *lists[2] = {strong, weak};
    size_t ns[2] = {N_STRONG, N_WEAK};
    for (int l = 0; l < 2; l++) {
        for (size_t k = 0; k < ns[l]; k++) {
            uint32_t bit = 1u << slot[(unsigned char)lists[l][k][1]];
            unsigned first_slot = slot[(unsigned char)lists[l][k][0]];
            if (l == 0) pair_bits[0][first_slot] |= bit;
            pair_bits[1][first_slot] |= bit;
        }
        size_t k = 0;
        for (unsigned sl = 0; sl <= N_SLOTS; sl++) {
            while (k < ns[l] && slot[(unsigned char)lists[l][k][0]] < sl)
                k++;
            first[l][sl] = (uint8_t)k;
        }
    }
}

/* 1 when a phrase of list l starts at s[i] (its first byte has slot sl). */
static int phrase_at(int l, unsigned sl, const unsigned char *s, size_t i, size_t len)
{
    const char *const *list = l ? weak : strong;
    for (size_t k = first[l][sl]; k < first[l][sl + 1]; k++) {
        const unsigned char *p = (const unsigned char *)list[k];
        size_t j = 0;
        while (p[j] && p[j] != '*' && i + j < len && p[j] == lower[s[i + j]])
            j++;
        if (p[j] == '*') return 1; /* a stem: any word going on */
        if (p[j] == 0 && (i + j == len || !word[p[j - 1]] || !word[s[i + j]])) return 1;
    }
    return 0;
}

int text__boiler_vocab(const char *text, size_t len, int weak_too)
{
    pthread_once(&tables_once, tables_init);
    const unsigned char *s = (const unsigned char *)text;
    if (len > TEXT_VOCAB_MAX_LEN) len = TEXT_VOCAB_MAX_LEN;
    int best = TEXT_VOCAB_NONE;
    /* word by word: at each word's start whose first two bytes begin some
     * phrase, the phrases of that first byte's slot are compared */
    for (size_t i = 0; i + 1 < len;) {
        if (!word[s[i]]) {
            i++;
            continue;
        }
        unsigned sl = slot[lower[s[i]]];
        if (pair_bits[weak_too && best == TEXT_VOCAB_NONE][sl] >> slot[lower[s[i + 1]]] & 1) {
            if (phrase_at(0, sl, s, i, len)) return TEXT_VOCAB_STRONG;
            if (weak_too && best == TEXT_VOCAB_NONE && phrase_at(1, sl, s, i, len))
                best = TEXT_VOCAB_WEAK;
        }
        do
            i++;
        while (i < len && word[s[i]]);
    }
    return best;
}

int text__vocab_sorted(char *why, size_t why_len)
{
    pthread_once(&tables_once, tables_init);
    const char *const *lists[2] = {strong, weak};
    size_t ns[2] = {N_STRONG, N_WEAK};
    for (int l = 0; l < 2; l++)
        for (size_t i = 1; i < ns[l]; i++)
            if (strcmp(lists[l][i - 1], lists[l][i]) >= 0 ||
                slot[(unsigned char)lists[l][i - 1][0]] > slot[(unsigned char)lists[l][i][0]] ||
                !lists[l][i][1]) {
                snprintf(why, why_len, "\"%s\" before \"%s\"", lists[l][i - 1], lists[l][i]);
                return 0;
            }
    return 1;
}
