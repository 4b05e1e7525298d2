/* fa_err.c - error code names. */
#include "common/fa_err.h"

#include <errno.h>

const char *fa_strerror(int code)
{
    switch (code) {
    case FA_OK: return "ok";
    case FA_ENOMEM: return "out of memory";
    case FA_EINVAL: return "invalid argument";
    case FA_EIO: return "I/O error";
    case FA_ETOOBIG: return "size limit exceeded";
    case FA_EPARSE: return "parse error";
    case FA_ENOENT: return "not found";
    case FA_ENOSPC: return "no space left on device";
    case FA_EACCES: return "permission denied";
    case FA_EFETCH: return "fetch failed";
    case FA_ECANCELED: return "canceled";
    case FA_ECORRUPT: return "corrupt data";
    default: return "unknown error";
    }
}

int fa_err_from_errno(int err)
{
    switch (err) {
    case ENOMEM: return FA_ENOMEM;
    case ENOENT: return FA_ENOENT;
    case ENOSPC:
    case EDQUOT: return FA_ENOSPC;
    case EACCES:
    case EPERM:
    case EROFS: return FA_EACCES;
    case EINVAL: return FA_EINVAL;
    default: return FA_EIO;
    }
}
