/*
 * test_install.c - `make install` gives a usable library: the header alone
 * compiles as strict C99 and as C++, pkg-config finds the shared library,
 * and a program built from it hashes a sample as the CLI does.
 */
#include "../test.h"

TEST(install_then_build_user_program_with_pkg_config) {
#ifdef __SANITIZE_ADDRESS__
    /* a program without ASan cannot load a libtamis.so built with it */
    SKIP("install is tested in the plain build, not the sanitizer one");
#endif
    const char *d = tmp_dir();
    char *out = NULL, *err = NULL;
    const char *cmd = fmt(
        "cd '%s' && make -s install PREFIX='%s/prefix' B=%s >/dev/null && "
        "export PKG_CONFIG_PATH='%s/prefix/lib/pkgconfig' && "
        "cc -std=c99 -pedantic -Wall -Wextra -Werror -o '%s/example' tests/cli/data/example.c "
        "$(pkg-config --cflags --libs tamis) -Wl,-rpath,'%s/prefix/lib' && "
        "c++ -x c++ -Wall -Werror -fsyntax-only tests/cli/data/example.c $(pkg-config --cflags tamis) && "
        "'%s/example' samples/palapeli-data-002.jpg",
        repo_dir(), d, strrchr(build_dir(), '/') + 1, d, d, d, d);
    int st = run_cmd(cmd, &out, &err);
    if (st != 0)
        FAIL("exit %d\nstdout: %s\nstderr: %s", st, out, err);
    /* The reference hash of that sample (samples/REFERENCE-PDQ.csv). */
    ASSERT_STR_EQ(out, "f8110d4425fa063b8c759efa81036da9985387cd0ce663e5f31e6de28a9837cf 100\n");
    free(out);
    free(err);
}
