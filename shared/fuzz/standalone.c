/* SPDX-License-Identifier: Apache-2.0 */
/* Replays fuzz inputs without libFuzzer, with any compiler: every file
 * named on the command line, or every file in a named directory, goes once
 * through LLVMFuzzerTestOneInput.  make check runs the committed corpora
 * this way (shared/fuzz/replay.sh); replaying nothing is a failure. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    if (!f) {
        perror(path);
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    /* one byte more, so an empty file is a valid pointer too */
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

static int replay_path(const char *path, long *count)
{
    struct stat st;
    struct dirent **names;
    int n, i, status = 0;

    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (replay_file(path) != 0) {
            return -1;
        }
        (*count)++;
        return 0;
    }
    /* sorted, so a failure names the same input on every machine */
    n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        perror(path);
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.' && status == 0) {
            size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
            char *full = malloc(len);

            snprintf(full, len, "%s/%s", path, names[i]->d_name);
            fprintf(stderr, "replay %s\n", full);
            status = replay_path(full, count);
            free(full);
        }
        free(names[i]);
    }
    free(names);
    return status;
}

int main(int argc, char **argv)
{
    long count = 0;
    int i;

    LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        if (replay_path(argv[i], &count) != 0) {
            return 1;
        }
    }
    printf("replayed %ld inputs\n", count);
    return count > 0 ? 0 : 1;
}
