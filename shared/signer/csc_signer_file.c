/* SPDX-License-Identifier: Apache-2.0 */
/* file: route -- a private key in a file, for development and tests.
 * PEM (PKCS#8 "PRIVATE KEY" or the traditional RSA/EC forms) or DER.
 * Encrypted files are refused: the passphrase callback never answers, so
 * OpenSSL cannot fall back to prompting on a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <apr_strings.h>

#include "base/csc_ossl.h"
#include "base/csc_log.h"
#include "signer/csc_signer_route.h"

#define KEYFILE_MAX (1024 * 1024)

static apr_status_t file_check(const csc_signer_ctx_t *c, const char *path,
                               apr_pool_t *p, const char **errmsg)
{
    struct stat st;

    (void)c;
    if (stat(path, &st) != 0) {
        *errmsg = apr_psprintf(p, "key file %s: %s", path, strerror(errno));
        return APR_ENOENT;
    }
    if (!S_ISREG(st.st_mode)) {
        *errmsg = apr_psprintf(p, "key file %s is not a regular file", path);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t read_file(const char *path, unsigned char **buf,
                              apr_size_t *len, mode_t *mode, apr_pool_t *p,
                              const char **errmsg)
{
    struct stat st;
    apr_size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        *errmsg = apr_psprintf(p, "key file %s: %s", path, strerror(errno));
        return errno == ENOENT ? APR_ENOENT : APR_EGENERAL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
        || st.st_size <= 0 || st.st_size > KEYFILE_MAX) {
        close(fd);
        *errmsg = apr_psprintf(p, "key file %s: not a regular file of 1 byte"
                               " to 1 MiB", path);
        return APR_EINVAL;
    }
    *mode = st.st_mode;
    *buf = malloc((size_t)st.st_size);
    if (!*buf) {
        close(fd);
        *errmsg = "out of memory";
        return APR_ENOMEM;
    }
    while (got < (apr_size_t)st.st_size) {
        ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (apr_size_t)n;
    }
    close(fd);
    *len = got;
    return APR_SUCCESS;
}

static apr_status_t file_load(const csc_signer_ctx_t *c, const char *path,
                              EVP_PKEY **pkey, apr_pool_t *p,
                              const char **errmsg)
{
    unsigned char *buf = NULL;
    apr_size_t len = 0;
    mode_t mode = 0;
    apr_status_t rv;
    BIO *bio;

    (void)c;
    *pkey = NULL;
    rv = read_file(path, &buf, &len, &mode, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    if (bio) {
        *pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, csc_ossl_no_passphrase,
                                           NULL, NULL, NULL);
        if (!*pkey) {
            (void)BIO_reset(bio);
            *pkey = d2i_PrivateKey_ex_bio(bio, NULL, NULL, NULL);
        }
        BIO_free(bio);
    }
    if (!*pkey) {
        int encrypted = memmem(buf, len, "ENCRYPTED", 9) != NULL;
        ERR_clear_error();
        *errmsg = apr_psprintf(p, "key file %s: %s", path,
                               encrypted ? "encrypted keys are not supported"
                               : "no PEM or DER private key found");
        rv = APR_EINVAL;
    }
    else if (mode & (S_IRWXG | S_IRWXO)) {
        csc_log(CSC_LOG_MARK, CSC_LOG_WARNING, "signer: key file %s is "
                "accessible to group or others", path);
    }
    OPENSSL_cleanse(buf, len);
    free(buf);
    ERR_clear_error();
    return rv;
}

static apr_status_t file_syntax(const char *keyref, const char *target,
                                int *hsm, apr_pool_t *p, const char **errmsg)
{
    *hsm = 0;
    if (target[0] != '/') {
        *errmsg = apr_psprintf(p, "key reference %s: file: needs an "
                               "absolute path", keyref);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

const csc_signer_route_t csc_signer_route_file = {
    .prefix = "file:",
    .syntax = file_syntax,
    .check = file_check,
    .load = file_load,
    .reset = NULL,
};
