/*
 * text_vocab.h - boilerplate vocabulary for the main-text classifier
 * (dedup/text_extract.c); internal to dedup/.
 */
#ifndef TEXT_VOCAB_H
#define TEXT_VOCAB_H

#include <stddef.h>

enum text_vocab {
    TEXT_VOCAB_NONE = 0,
    TEXT_VOCAB_WEAK = 1,  /* a template line's words: share, subscribe, comments, photo credit */
    TEXT_VOCAB_STRONG = 2 /* a rights, reprint or affiliate notice */
};

/* Bytes of a block read; the rest is not looked at. */
#define TEXT_VOCAB_MAX_LEN 2048

/* The strongest enum text_vocab class of a phrase found at a word start
 * in the first TEXT_VOCAB_MAX_LEN bytes of text (UTF-8, need not be
 * NUL-terminated; ASCII letters compared without case); weak phrases are
 * sought only when weak_too is 1. */
int text__boiler_vocab(const char *text, size_t len, int weak_too);

/* 1 when the phrase lists are as the lookup needs them (byte order, first
 * bytes in slot order: a-z, then the Latin-1 lead bytes; two bytes or
 * more each); else 0, with the first pair at fault written into why
 * (tests). */
int text__vocab_sorted(char *why, size_t why_len);

#endif
