# fuzz.mk: builds the libFuzzer targets with clang, compiling the
# internal library's sources directly (not the gcc-built libreewatch.a).
# `make fuzz` in the build folder calls it with the library's source list
# and link flags from Makefile.am; by hand:
#   make -f SRC/tests/fuzz/fuzz.mk top_srcdir=SRC top_builddir=BUILD
# Needs clang and libclang-rt-14-dev (tools/install-deps --fuzz).

top_srcdir ?= ../..
top_builddir ?= .
FUZZ_CC ?= clang
PKG_CONFIG ?= pkg-config
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS ?= -g -O1 -fno-omit-frame-pointer -Wall -Wextra \
	-Wno-unused-parameter
# From Makefile.am (daemon_libreewatch_a_SOURCES, LIB_CFLAGS, LIB_LIBS);
# the defaults cover the modules the targets need when called by hand.
LIB_SRCS ?= daemon/entry.c daemon/util.c daemon/log.c daemon/ini.c \
	daemon/conf.c daemon/date.c daemon/url.c daemon/parse.c \
	daemon/text.c daemon/prefilter.c daemon/match.c
FUZZ_PKGS = libxml-2.0 libpcre2-8 libutf8proc libcurl
LIB_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags $(FUZZ_PKGS))
LIB_LIBS ?= $(shell $(PKG_CONFIG) --libs $(FUZZ_PKGS))
# -iquote: daemon/sched.h must not shadow the system <sched.h>.
FUZZ_CPPFLAGS = -I$(top_builddir) -iquote $(top_srcdir)/daemon \
	-DSYSCONFDIR='"/etc"' -DPKGDATADIR='"/usr/share/reewatch"' \
	-DLOCALSTATEDIR='"/var"' $(LIB_CFLAGS)

out = $(top_builddir)/tests/fuzz
lib_objs = $(patsubst daemon/%.c,$(out)/obj/%.o,$(filter %.c,$(LIB_SRCS)))
targets = parse text watchlist conf
bins = $(targets:%=$(out)/fuzz-%)

all: $(bins)

$(out)/obj/%.o: $(top_srcdir)/daemon/%.c $(wildcard $(top_srcdir)/daemon/*.h)
	@mkdir -p $(out)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		$(FUZZ_CPPFLAGS) -c -o $@ $<

$(out)/fuzz-%: $(top_srcdir)/tests/fuzz/fuzz-%.c $(lib_objs)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer \
		$(FUZZ_CPPFLAGS) -o $@ $< $(lib_objs) $(LIB_LIBS)

clean:
	rm -rf $(out)/obj $(bins)

.PHONY: all clean
.SECONDARY: $(lib_objs)
