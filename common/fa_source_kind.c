/*
 * fa_source_kind.c - the table of source kinds (see fa_source_kind.h).
 */
#include "common/fa_source_kind.h"

#include "common/fa_err.h"

#include <string.h>

static const fa_source_kind_info kinds[FA_SOURCE_KIND_COUNT] = {
    {FA_SOURCE_AUTO, "auto", FA_READER_SNIFF, FA_SOURCE_CONFIG_TYPE},
    {FA_SOURCE_RSS, "rss", FA_READER_XML_FEED, FA_SOURCE_CONFIG_TYPE},
    {FA_SOURCE_ATOM, "atom", FA_READER_XML_FEED, FA_SOURCE_CONFIG_TYPE},
    {FA_SOURCE_JSONFEED, "jsonfeed", FA_READER_JSON_FEED, FA_SOURCE_CONFIG_TYPE},
    {FA_SOURCE_WORDPRESS, "wordpress", FA_READER_WORDPRESS,
     FA_SOURCE_CONFIG_TYPE | FA_SOURCE_PAGINATED | FA_SOURCE_WATERMARK},
    {FA_SOURCE_JSON, "json", FA_READER_JSON_MAPPED,
     FA_SOURCE_CONFIG_TYPE | FA_SOURCE_PAGINATED | FA_SOURCE_MAPPED},
    {FA_SOURCE_SITEMAP, "sitemap", FA_READER_SITEMAP, FA_SOURCE_CONFIG_TYPE},
    {FA_SOURCE_OPML, "opml", FA_READER_OPML, 0},
};

const fa_source_kind_info *fa_source_kind_get(enum fa_source_kind k)
{
    return (unsigned)k < FA_SOURCE_KIND_COUNT ? &kinds[k] : NULL;
}

const char *fa_source_kind_name(enum fa_source_kind k)
{
    const fa_source_kind_info *i = fa_source_kind_get(k);
    return i ? i->name : NULL;
}

int fa_source_kind_by_name(const char *name, enum fa_source_kind *out)
{
    for (unsigned i = 0; name && i < FA_SOURCE_KIND_COUNT; i++)
        if (strcmp(name, kinds[i].name) == 0) {
            *out = kinds[i].kind;
            return 0;
        }
    return FA_EINVAL;
}

int fa_source_kind_has(enum fa_source_kind k, unsigned flags)
{
    const fa_source_kind_info *i = fa_source_kind_get(k);
    return i != NULL && (i->flags & flags) == flags;
}

enum fa_source_kind fa_source_kind_for_url(enum fa_source_kind k, const char *url)
{
    if (k == FA_SOURCE_AUTO && url != NULL && strstr(url, "/wp-json/") != NULL)
        return FA_SOURCE_WORDPRESS;
    return k;
}
