/* test_version.c - lib/common/version.c: the runtime version. */
#include "../../lib/common/common.h"
#include "../test.h"

TEST(version_matches_header) {
    ASSERT_STR_EQ(tamis_version(), TAMIS_VERSION_STRING);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", TAMIS_VERSION_MAJOR,
             TAMIS_VERSION_MINOR, TAMIS_VERSION_PATCH);
    ASSERT_STR_EQ(tamis_version(), want);
    ASSERT_EQ(TAMIS_VERSION_NUMBER, TAMIS_VERSION_MAJOR * 10000 +
                                        TAMIS_VERSION_MINOR * 100 +
                                        TAMIS_VERSION_PATCH);
}
