# SPDX-License-Identifier: ISC
# policyd - Postfix policy delegation server.
#
#   make run		build, then run policyd in the foreground with
#			etc/policyd.conf on 127.0.0.1:12540
#   make check		build and run every test (unit, config, e2e)
#   make check-asan	the same built with AddressSanitizer and UBSan
#   make valgrind	unit tests and an e2e run under valgrind
#   make bench		load generator against policyd and a null server
#   make install	install (DESTDIR-aware)
#   make lint		man pages, clang-format, the layer rules, SPDX lines
#   make format		rewrite the sources with .clang-format
#   make dist		policyd-VERSION.tar.gz; distcheck builds it
#
# Everything is built under $(BUILD), so the sanitizer build lives
# beside the normal one.  On a fresh clone the first make installs the
# Debian build dependencies (as root) or prints the apt-get line.

BUILD ?= build
SAN ?=
# configure records CPPFLAGS, CFLAGS and LDFLAGS in config.mk (Debian's
# dpkg-buildflags reach the build that way); make VAR=... overrides.
CFLAGS ?= -O2 -g

# Warnings fail the project's own test builds (make check and the
# rest), not a build by a packager or a user with a newer compiler.
WERROR_GOALS = check check-asan valgrind all-tests bench distcheck
WERROR ?= $(if $(filter $(WERROR_GOALS),$(MAKECMDGOALS)),-Werror)

# Goals that need no configure: on a fresh clone they do not run it.
NOCONF_GOALS = lint lint-man lint-format lint-layers lint-spdx format dist distcheck \
	clean
USE_CONFIG = $(filter-out $(NOCONF_GOALS),$(or $(MAKECMDGOALS),all))
ifneq ($(USE_CONFIG),)
-include config.mk
endif

PD_CFLAGS = -std=c17 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -Wshadow \
	-Wformat=2 -Wno-format-nonliteral -Ilib/util -Ilib/policy \
	-Ilib/daemon $(UV_CFLAGS) $(UNBOUND_CFLAGS) $(MAXMINDDB_CFLAGS) $(SYSTEMD_CFLAGS) \
	$(CPPFLAGS) $(CFLAGS) $(SAN) -MMD -MP
PD_LIBS = $(UV_LIBS) $(UNBOUND_LIBS) $(MAXMINDDB_LIBS) $(SYSTEMD_LIBS)
PD_LDFLAGS = $(LDFLAGS) $(SAN)

# lib/ in its three layers (HACKING): util, policy, daemon.
UTIL_SRCS = lib/util/addr.c lib/util/buf.c lib/util/clock.c lib/util/err.c lib/util/file.c \
	lib/util/keytab.c lib/util/log.c lib/util/out.c lib/util/stamp.c \
	lib/util/stats.c lib/util/str.c lib/util/window.c
POLICY_SRCS = lib/policy/admin.c lib/policy/cause.c lib/policy/conf.c \
	lib/policy/conf_block.c \
	lib/policy/conf_read.c lib/policy/conf_rule.c lib/policy/counter.c \
	lib/policy/ctl.c lib/policy/decision.c lib/policy/dnscache.c \
	lib/policy/engine.c lib/policy/engine_emit.c lib/policy/engine_manual.c \
	lib/policy/engine_rules.c lib/policy/event.c lib/policy/facts.c \
	lib/policy/geoip.c lib/policy/helo.c lib/policy/journal.c \
	lib/policy/key.c lib/policy/maillog.c lib/policy/maillog_reply.c lib/policy/match.c \
	lib/policy/metrics.c lib/policy/own.c lib/policy/proto.c \
	lib/policy/replay.c lib/policy/session.c lib/policy/state.c \
	lib/policy/tmpl.c
DAEMON_SRCS = lib/daemon/daemon.c lib/daemon/daemon_check.c lib/daemon/daemon_ctl.c \
	lib/daemon/daemon_request.c lib/daemon/daemon_state.c lib/daemon/dns.c \
	lib/daemon/listen.c lib/daemon/rpc.c lib/daemon/sdjournal.c \
	lib/daemon/server.c lib/daemon/tail.c
LIB_SRCS = $(UTIL_SRCS) $(POLICY_SRCS) $(DAEMON_SRCS)
LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB = $(BUILD)/libpd.a

TESTS = check_addr check_buf check_file check_cause check_clock check_conf check_counter check_dns check_engine check_helo \
	check_maillog check_proto check_replay check_server check_session check_state check_str check_tail check_tmpl \
	check_window check_admin check_ctl check_journal check_metrics check_geoip \
	check_control check_rpc check_listen check_daemon check_sdjournal
TEST_BINS = $(TESTS:%=$(BUILD)/t/%)

BENCH_BINS = $(BUILD)/bench/loadgen $(BUILD)/bench/nullserver \
	$(BUILD)/bench/storebench

RUN_DIR = $(CURDIR)/run
BENCH_MMDB = $(abspath $(BUILD))/bench/mmdb

# Keep the test objects: they are intermediate files of a chain.  Only
# those: a missing library object must always be built.
.SECONDARY: $(TESTS:%=$(BUILD)/t/%.o) $(BUILD)/t/testutil.o \
	$(BENCH_BINS:$(BUILD)/bench/%=$(BUILD)/t/bench/%.o)

.PHONY: all run check check-asan valgrind bench install lint lint-man \
	lint-format lint-layers lint-spdx format clean deps deps-check dist distcheck \
	FORCE

all: $(BUILD)/bin/policyd $(BUILD)/bin/policydctl

# configure and aclocal.m4 are committed, as unbound does, so building
# needs no autotools.  After editing configure.ac, regenerate both with
# "autoreconf -fi" (Debian packages autoconf, automake and pkg-config)
# and commit them with the change.
#
# config.status remembers the configure arguments (--prefix and the
# rest): --recheck reruns configure with them, and plain config.status
# rewrites config.mk from config.mk.in.  On a fresh clone configure runs
# once.  Make remakes config.mk before any goal, so for the test goals
# the test packages are installed first, or configure would not see
# check.
TEST_GOALS = $(filter check check-asan valgrind,$(MAKECMDGOALS))
DEPS_KIND = $(if $(TEST_GOALS),check,build)

config.status: configure
	@build-aux/deps $(DEPS_KIND)
	if [ -f config.status ]; then ./config.status --recheck; \
	else ./configure --no-create; fi

config.mk: config.mk.in config.status
	./config.status

# A config.mk made before check was installed has no CHECK_LIBS.  For a
# test goal, install the test packages and configure again; for another
# goal, configure again if check has been installed since.  Only once
# per make run: make restarts after remaking config.mk.
ifneq ($(USE_CONFIG),)
ifeq ($(CHECK_LIBS)$(MAKE_RESTARTS),)
ifneq ($(TEST_GOALS),)
config.status: FORCE
else ifneq ($(shell pkg-config --exists 'check >= 0.15' 2>/dev/null && \
    [ -f config.mk ] && echo yes),)
config.status: FORCE
endif
endif
endif

FORCE:

deps:
	@build-aux/deps build

deps-check:
	@build-aux/deps check

# Objects are rebuilt when the flags change (a -Werror test build after
# a plain one, other CFLAGS), not only when a source does.
$(BUILD)/cflags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(PD_CFLAGS) $(PD_LDFLAGS)' | cmp -s - $@ || \
	    echo '$(CC) $(PD_CFLAGS) $(PD_LDFLAGS)' >$@

$(BUILD)/%.o: %.c config.mk $(BUILD)/cflags
	@mkdir -p $(@D)
	$(CC) $(PD_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# The default config file follows --sysconfdir.
$(BUILD)/policyd/main.o: policyd/main.c config.mk $(BUILD)/cflags
	@mkdir -p $(@D)
	$(CC) $(PD_CFLAGS) \
		-DPD_CONF_DEFAULT_FILE='"$(sysconfdir)/policyd/policyd.conf"' \
		-c $< -o $@

$(BUILD)/policyd/policydctl.o: policyd/policydctl.c config.mk $(BUILD)/cflags
	@mkdir -p $(@D)
	$(CC) $(PD_CFLAGS) \
		-DPD_CONF_DEFAULT_FILE='"$(sysconfdir)/policyd/policyd.conf"' \
		-c $< -o $@

$(BUILD)/bin/policyd: $(BUILD)/policyd/main.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(PD_LDFLAGS) -o $@ $(BUILD)/policyd/main.o $(LIB) $(PD_LIBS)

$(BUILD)/bin/policydctl: $(BUILD)/policyd/policydctl.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(PD_LDFLAGS) -o $@ $(BUILD)/policyd/policydctl.o $(LIB) $(PD_LIBS)

$(BUILD)/t/testutil.o: t/testutil.c $(BUILD)/cflags
	@mkdir -p $(@D)
	$(CC) $(PD_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(BUILD)/t/check_%.o: t/check_%.c $(BUILD)/cflags
	@mkdir -p $(@D)
	$(CC) $(PD_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(BUILD)/t/check_%: $(BUILD)/t/check_%.o $(BUILD)/t/testutil.o $(LIB)
	$(CC) $(PD_LDFLAGS) -o $@ $< $(BUILD)/t/testutil.o $(LIB) \
		$(PD_LIBS) $(CHECK_LIBS)

$(BUILD)/bench/loadgen: $(BUILD)/t/bench/loadgen.o
	@mkdir -p $(@D)
	$(CC) $(PD_LDFLAGS) -o $@ $<

$(BUILD)/bench/%: $(BUILD)/t/bench/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(PD_LDFLAGS) -o $@ $< $(LIB) $(PD_LIBS)

# policydctl -s run/control.sock ... talks to it.
run: $(BUILD)/bin/policyd $(BUILD)/bin/policydctl
	@mkdir -p $(RUN_DIR)
	$(BUILD)/bin/policyd -f -c etc/policyd.conf -o user= \
		-o state_file=$(RUN_DIR)/policyd.state \
		-o control_socket=$(RUN_DIR)/control.sock

check: deps-check
	@$(MAKE) --no-print-directory all-tests
	@t/run $(BUILD)

.PHONY: all-tests
all-tests: $(BUILD)/bin/policyd $(BUILD)/bin/policydctl $(TEST_BINS) \
	$(BENCH_BINS)

check-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		check

valgrind: deps-check
	@$(MAKE) --no-print-directory all-tests
	@PD_VALGRIND=1 t/run $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory WERROR='$(WERROR)' $(BUILD)/bin/policyd \
		$(BENCH_BINS)
	@mkdir -p $(BENCH_MMDB)
	@perl t/gen-mmdb.pl --bench $(BENCH_MMDB)
	@{ cat etc/policyd.conf; sed 's|@MMDB@|$(BENCH_MMDB)|' t/bench/geo.conf; } \
		>$(BUILD)/bench/policyd-geo.conf
	@LOADGEN=$(BUILD)/bench/loadgen BENCH_BASELINE='$(BENCH_BASELINE)' t/bench/run $(BUILD)/bin/policyd $(BUILD)/bench/nullserver $(BUILD)/bench/policyd-geo.conf
	@$(BUILD)/bench/storebench etc/policyd.conf 1000000
	@t/bench/replay $(BUILD)/bin/policyd etc/policyd.conf
	@t/bench/replay-journal $(BUILD)/bin/policyd etc/policyd.conf

# The directories policyd writes are not made here, as root would own
# them: the unit's StateDirectory= and RuntimeDirectory= make them, or,
# without systemd, "systemd-tmpfiles --create policyd.conf" after
# "systemd-sysusers policyd.conf" made the user (README, Set up).
install: $(BUILD)/bin/policyd $(BUILD)/bin/policydctl
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(sysconfdir)/policyd \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 \
		$(DESTDIR)$(prefix)/lib/systemd/system \
		$(DESTDIR)$(prefix)/lib/sysusers.d \
		$(DESTDIR)$(prefix)/lib/tmpfiles.d
	$(INSTALL) -m 755 $(BUILD)/bin/policyd $(DESTDIR)$(sbindir)/policyd
	$(INSTALL) -m 755 $(BUILD)/bin/policydctl $(DESTDIR)$(sbindir)/policydctl
	$(INSTALL) -m 644 etc/policyd.conf $(DESTDIR)$(sysconfdir)/policyd/policyd.conf
	$(INSTALL) -m 644 etc/policyd.service $(DESTDIR)$(prefix)/lib/systemd/system/policyd.service
	$(INSTALL) -m 644 etc/policyd.sysusers $(DESTDIR)$(prefix)/lib/sysusers.d/policyd.conf
	$(INSTALL) -m 644 etc/policyd.tmpfiles $(DESTDIR)$(prefix)/lib/tmpfiles.d/policyd.conf
	$(INSTALL) -m 644 man/policyd.8 $(DESTDIR)$(mandir)/man8/policyd.8
	$(INSTALL) -m 644 man/policydctl.8 $(DESTDIR)$(mandir)/man8/policydctl.8
	$(INSTALL) -m 644 man/policyd.conf.5 $(DESTDIR)$(mandir)/man5/policyd.conf.5

# lint fails on the first kind of problem; "make -k lint" shows all
# three.  .clang-format is tuned for clang-format 14 (Debian 12).
FORMAT_SRCS = $(sort $(wildcard lib/*.[ch] lib/*/*.[ch] policyd/*.c))

lint: lint-man lint-format lint-layers lint-spdx

lint-man:
	mandoc -T lint -W warning man/*.[58]

lint-format:
	clang-format --dry-run --Werror $(FORMAT_SRCS)

lint-layers:
	build-aux/lint-layers

lint-spdx:
	build-aux/lint-spdx

format:
	clang-format -i $(FORMAT_SRCS)

# dist: policyd-VERSION.tar.gz of the files git tracks (as they are in
# the work tree), with configure, so "./configure && make" builds it
# without git or autotools.  distcheck builds an unpacked copy in a
# temporary directory (no tests).
VERSION = $(shell sed -n 's/^AC_INIT.\[policyd\], *\[\([^]]*\)\].*/\1/p' configure.ac)
DIST = policyd-$(VERSION)

dist:
	@[ -n "$(VERSION)" ] || \
	    { echo "dist: no version in configure.ac" >&2; exit 1; }
	@git rev-parse --git-dir >/dev/null 2>&1 || \
	    { echo "dist: needs a git checkout" >&2; exit 1; }
	@[ -z "$$(git status --porcelain --untracked-files=no)" ] || \
	    echo "dist: warning: uncommitted changes go into $(DIST).tar.gz" >&2
	git ls-files | LC_ALL=C sort | tar -c --no-recursion \
	    --transform 's,^,$(DIST)/,' --owner=0 --group=0 --numeric-owner \
	    -T - | gzip -9n >$(DIST).tar.gz.tmp
	mv $(DIST).tar.gz.tmp $(DIST).tar.gz

distcheck: dist
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	tar -xzf $(DIST).tar.gz -C "$$d" && cd "$$d/$(DIST)" && \
	echo "distcheck: ./configure && make in $$d/$(DIST)" && \
	./configure >configure.out && \
	$(MAKE) --no-print-directory WERROR=-Werror && \
	echo "distcheck: $(DIST).tar.gz builds"

clean:
	rm -rf build build-asan build-deb-test run policyd-*.tar.gz

-include $(LIB_OBJS:.o=.d) $(BUILD)/policyd/main.d $(BUILD)/t/testutil.d \
	$(TESTS:%=$(BUILD)/t/%.d) $(BUILD)/t/bench/loadgen.d \
	$(BUILD)/t/bench/nullserver.d $(BUILD)/t/bench/storebench.d
