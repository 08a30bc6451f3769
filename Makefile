# tamis - GNU make conventions: PREFIX, DESTDIR, install, uninstall, check.
# Dependencies are found with pkg-config. WERROR=1 (set by CI) makes
# warnings errors. SAN=1 builds everything with ASan + UBSan into build-san/.

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR    ?=

CC      ?= cc
PKG_CONFIG ?= pkg-config
DEPS    := libjpeg libpng libwebp libwebpdemux libcrypto sqlite3 libpq jansson libxml-2.0 \
           libavformat libavcodec libswscale libavutil libutf8proc libidn2 libcurl
# The service (server/) links libmicrohttpd; the library does not.
SRV_DEPS := libmicrohttpd
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS) $(SRV_DEPS))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(DEPS)) -lgif
SRV_LIBS   := $(shell $(PKG_CONFIG) --libs $(SRV_DEPS))

# -ffp-contract=off: PDQ must round every float operation as the reference
# does, so no multiply-add may be fused. On x86-64 the baseline is
# x86-64-v2 (2009 on: POPCNT for Hamming distances, SSE4.2); it has no FMA.
ifeq ($(shell uname -m),x86_64)
ARCH    ?= -march=x86-64-v2
endif
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN    += -Werror
endif
ALL_CFLAGS = -std=gnu11 $(WARN) $(ARCH) -ffp-contract=off -fvisibility=hidden -fPIC \
             -D_GNU_SOURCE -DTAMIS_BUILDING -Iinclude $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread -lm

ifeq ($(SAN),1)
B       ?= build-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
B       ?= build
endif

VERSION := $(shell sed -n 's/^\#define TAMIS_VERSION_STRING "\(.*\)"/\1/p' include/tamis.h)

LIB_SRC  := $(wildcard lib/*/*.c)
CLI_SRC  := $(wildcard cli/*.c) $(wildcard server/*.c)
TEST_SRC := tests/main.c $(wildcard tests/*/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/web_assets.o
TEST_OBJ := $(TEST_SRC:%.c=$(B)/obj/%.o)

.PHONY: all lib check test bench bench-hash bench-index bench-serve fuzz install uninstall clean distclean
all: $(B)/tamis $(B)/libtamis.a $(B)/libtamis.so

lib: $(B)/libtamis.a $(B)/libtamis.so

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The web UI (web/) is built into the binary (server/ui.c serves it). The
# folders are prerequisites too, so that removing a file rebuilds it.
WEB_FILES := $(shell find web ! -name '.*' 2>/dev/null)
$(B)/gen/web_assets.c: scripts/embed-web $(WEB_FILES)
	@mkdir -p $(dir $@)
	sh scripts/embed-web web $@

$(B)/obj/gen/web_assets.o: $(B)/gen/web_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/libtamis.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/libtamis.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libtamis.so.0 $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(B)/tamis: $(CLI_OBJ) $(B)/libtamis.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libtamis.a $(LDLIBS_ALL) $(SRV_LIBS)

# Made at install time, so that it names the PREFIX of that install.
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES@|$(DEPS)|'

# ---- tests -----------------------------------------------------------------
# The test runner links the static library, so it can reach internal
# functions (tamis__*) as well as the public API.
$(B)/tests/run: $(TEST_OBJ) $(B)/libtamis.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(B)/libtamis.a $(LDLIBS_ALL)

FUZZ_TARGETS := $(basename $(notdir $(wildcard fuzz/fuzz_*.c)))
# Targets named fuzz_server_* drive the service's code (server/, without
# the command line's main), which is not part of the library: they link its
# objects and libmicrohttpd too.
FUZZ_SRV_TARGETS := $(filter fuzz_server_%,$(FUZZ_TARGETS))
SRV_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard server/*.c)) $(B)/obj/gen/web_assets.o
$(FUZZ_SRV_TARGETS:%=$(B)/fuzz/replay_%): $(SRV_OBJ)
$(B)/fuzz/replay_%: fuzz/%.c fuzz/replay.c $(wildcard fuzz/*.h) $(B)/libtamis.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ fuzz/replay.c $< $(filter $(B)/obj/%,$^) \
	  $(B)/libtamis.a $(LDLIBS_ALL) $(if $(filter $(B)/obj/%,$^),$(SRV_LIBS))

check test: all $(B)/tests/run $(FUZZ_TARGETS:%=$(B)/fuzz/replay_%)
	TAMIS_BUILD=$(B) sh tests/run.sh

# ---- fuzzing (libFuzzer, clang) --------------------------------------------
# fuzz/README.md tells how to run one target and how to reproduce a crash.
# The PDQ arithmetic loops are left out of the coverage instrumentation
# (fuzz/coverage-ignore.txt) but not out of the sanitizers.
# The library (and the service, for fuzz_server_*) is compiled once into
# build-fuzz/obj, and each target linked against it; the targets then run
# one after the other.
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?= -timeout=30 -rss_limit_mb=2048
# UBSan stops at its first report (as ASan does), so that libFuzzer saves the
# input: by default it would print the report and go on.
FUZZ_CFLAGS = -std=gnu11 -g -O1 $(ARCH) -ffp-contract=off -D_GNU_SOURCE -DTAMIS_BUILDING -Iinclude $(PKG_CFLAGS) \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
              -fsanitize-coverage-ignorelist=fuzz/coverage-ignore.txt
FZ := build-fuzz
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FZ)/obj/%.o)
FUZZ_SRV_OBJ := $(patsubst %.c,$(FZ)/obj/%.o,$(wildcard server/*.c)) $(FZ)/obj/gen/web_assets.o

$(FZ)/obj/%.o: %.c fuzz/coverage-ignore.txt
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FZ)/gen/web_assets.c: scripts/embed-web $(WEB_FILES)
	@mkdir -p $(dir $@)
	sh scripts/embed-web web $@

$(FZ)/obj/gen/web_assets.o: $(FZ)/gen/web_assets.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FZ)/libtamis.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_SRV_TARGETS:%=$(FZ)/%): $(FUZZ_SRV_OBJ)
$(FZ)/fuzz_%: fuzz/fuzz_%.c $(wildcard fuzz/*.h) $(FZ)/libtamis.a
	clang $(FUZZ_CFLAGS) -o $@ $< $(filter $(FZ)/obj/%,$^) $(FZ)/libtamis.a $(LDLIBS_ALL) \
	  $(if $(filter $(FZ)/obj/%,$^),$(SRV_LIBS))

fuzz: $(FUZZ_TARGETS:%=$(FZ)/%)
	@for t in $(FUZZ_TARGETS); do \
	  echo "== $$t"; mkdir -p $(FZ)/corpus/$$t; \
	  $(FZ)/$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS) \
	    $(FZ)/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

# ---- benchmarks (never part of the tests) ---------------------------------
bench: bench-hash bench-index bench-serve
bench-hash: all $(B)/bench/hash
	$(B)/bench/hash $(BENCH_ARGS)

# tamis scan on ../shared/corpus copied COPIES times (default 4), -j1 and
# -j2, beside cat (the I/O floor) and tamis hash (hashing alone); warm
# cache. See bench/scan.sh.
.PHONY: bench-scan
bench-scan: all
	TAMIS_BUILD=$(B) sh bench/scan.sh

# Load and soak (issue 10): wrk for 10 minutes on a bank of 100 000 PDQ
# hashes, lookups and 5 % writes, memory every 10 s (SOAK_SECONDS for a
# shorter run); then slow clients and a connection flood against the
# limits (bench/flood.py). See bench/soak.sh.
.PHONY: soak
soak: all
	TAMIS_WITH_BENCH=1 scripts/install-deps
	TAMIS_BUILD=$(B) sh bench/soak.sh
	TAMIS_BUILD=$(B) python3 bench/flood.py

# The FAISS anchor needs Debian's python3-faiss (installed here, as root).
bench-index: all $(B)/bench/index
	TAMIS_WITH_BENCH=1 scripts/install-deps
	$(B)/bench/index $(BENCH_ARGS)

# wrk and nginx (Debian) against the service; see bench/serve.sh.
bench-serve: all
	TAMIS_WITH_BENCH=1 scripts/install-deps
	TAMIS_BUILD=$(B) sh bench/serve.sh

# URL signals: canonicalise, expand and look up URLs against 10M
# expressions, one core (URL_BENCH_ARGS="-n 1000000" for a quicker run).
# bench-text runs it too.
.PHONY: bench-url
bench-url: all $(B)/bench/url
	$(B)/bench/url $(URL_BENCH_ARGS)
bench-text: bench-url

# Text signals: accuracy on ../shared/corpus/text, then a bank of 1M posts
# (BENCH_ARGS="-n 100000" for a quicker run).
.PHONY: bench-text
bench-text: all $(B)/bench/text
	$(B)/bench/text $(BENCH_ARGS)

$(B)/bench/%: bench/%.c $(B)/libtamis.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libtamis.a $(LDLIBS_ALL)

# ---- install ---------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(B)/tamis $(DESTDIR)$(BINDIR)/tamis
	install -m 644 $(B)/libtamis.a $(DESTDIR)$(LIBDIR)/libtamis.a
	install -m 755 $(B)/libtamis.so $(DESTDIR)$(LIBDIR)/libtamis.so.$(VERSION)
	ln -sf libtamis.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libtamis.so.0
	ln -sf libtamis.so.0 $(DESTDIR)$(LIBDIR)/libtamis.so
	install -m 644 include/tamis.h $(DESTDIR)$(INCLUDEDIR)/tamis.h
	$(PC_SED) tamis.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/tamis.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tamis $(DESTDIR)$(LIBDIR)/libtamis.a \
	  $(DESTDIR)$(LIBDIR)/libtamis.so* $(DESTDIR)$(INCLUDEDIR)/tamis.h \
	  $(DESTDIR)$(PKGCONFIGDIR)/tamis.pc

# build-fuzz/ holds the fuzzers' growing corpora: only distclean drops it.
clean:
	rm -rf build build-san

distclean: clean
	rm -rf build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_SRV_OBJ:.o=.d)
