# policyd - Postfix policy delegation server.
#
#   make run		build, then run policyd in the foreground with
#			etc/policyd.conf on 127.0.0.1:10040
#   make check		build and run every test (unit, config, e2e)
#   make check-asan	the same built with AddressSanitizer and UBSan
#   make valgrind	unit tests and an e2e run under valgrind
#   make bench		load generator against policyd and a null server
#   make install	install (DESTDIR-aware)
#
# Everything is built under $(BUILD), so the sanitizer build lives
# beside the normal one.  On a fresh clone the first make installs the
# Debian build dependencies (as root) or prints the apt-get line.

BUILD ?= build
SAN ?=
CFLAGS ?= -O2 -g

-include config.mk

PD_CFLAGS = -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wformat=2 -Wno-format-nonliteral -Ilib $(UV_CFLAGS) \
	$(UNBOUND_CFLAGS) $(MAXMINDDB_CFLAGS) $(CFLAGS) $(SAN) -MMD -MP
PD_LIBS = $(UV_LIBS) $(UNBOUND_LIBS) $(MAXMINDDB_LIBS)
PD_LDFLAGS = $(LDFLAGS) $(SAN)

LIB_SRCS = lib/addr.c lib/buf.c lib/clock.c lib/conf.c lib/counter.c \
	lib/daemon.c lib/dns.c lib/engine.c lib/err.c lib/event.c lib/helo.c \
	lib/keytab.c lib/log.c lib/maillog.c lib/proto.c lib/replay.c \
	lib/server.c lib/session.c lib/state.c lib/str.c lib/tail.c \
	lib/tmpl.c lib/window.c lib/journal.c lib/out.c lib/ctl.c lib/admin.c \
	lib/metrics.c lib/rpc.c lib/geoip.c lib/listen.c
LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB = $(BUILD)/libpd.a

TESTS = check_addr check_buf check_conf check_counter check_engine check_helo \
	check_maillog check_proto check_server check_session check_state check_str check_tail check_tmpl \
	check_window check_admin check_ctl check_journal check_metrics check_geoip \
	check_control check_rpc check_listen
TEST_BINS = $(TESTS:%=$(BUILD)/t/%)

BENCH_BINS = $(BUILD)/bench/loadgen $(BUILD)/bench/nullserver \
	$(BUILD)/bench/storebench

RUN_DIR = $(CURDIR)/run
BENCH_MMDB = $(abspath $(BUILD))/bench/mmdb

# Keep the test objects: they are intermediate files of a chain.  Only
# those: a missing library object must always be built.
.SECONDARY: $(TESTS:%=$(BUILD)/t/%.o) $(BUILD)/t/testutil.o \
	$(BENCH_BINS:$(BUILD)/bench/%=$(BUILD)/t/bench/%.o)

.PHONY: all run check check-asan valgrind bench install lint clean deps \
	deps-check

all: $(BUILD)/bin/policyd $(BUILD)/bin/policydctl

config.mk: configure config.mk.in
	@build-aux/deps build
	./configure

configure: configure.ac
	@build-aux/deps build
	autoreconf -fi

deps:
	@build-aux/deps build

deps-check:
	@build-aux/deps check

$(BUILD)/%.o: %.c config.mk
	@mkdir -p $(@D)
	$(CC) $(PD_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# The default config file follows --sysconfdir.
$(BUILD)/policyd/main.o: policyd/main.c config.mk
	@mkdir -p $(@D)
	$(CC) $(PD_CFLAGS) \
		-DPD_CONF_DEFAULT_FILE='"$(sysconfdir)/policyd/policyd.conf"' \
		-c $< -o $@

$(BUILD)/policyd/policydctl.o: policyd/policydctl.c config.mk
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

$(BUILD)/t/testutil.o: t/testutil.c
	@mkdir -p $(@D)
	$(CC) $(PD_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(BUILD)/t/check_%.o: t/check_%.c
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
	@$(MAKE) --no-print-directory $(BUILD)/bin/policyd $(BENCH_BINS)
	@mkdir -p $(BENCH_MMDB)
	@perl t/gen-mmdb.pl --bench $(BENCH_MMDB)
	@{ cat etc/policyd.conf; sed 's|@MMDB@|$(BENCH_MMDB)|' t/bench/geo.conf; } \
		>$(BUILD)/bench/policyd-geo.conf
	@LOADGEN=$(BUILD)/bench/loadgen t/bench/run $(BUILD)/bin/policyd $(BUILD)/bench/nullserver $(BUILD)/bench/policyd-geo.conf
	@$(BUILD)/bench/storebench etc/policyd.conf 1000000
	@t/bench/replay $(BUILD)/bin/policyd etc/policyd.conf

install: $(BUILD)/bin/policyd $(BUILD)/bin/policydctl
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(sysconfdir)/policyd \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 \
		$(DESTDIR)$(localstatedir)/lib/policyd \
		$(DESTDIR)$(prefix)/lib/systemd/system
	$(INSTALL) -m 755 $(BUILD)/bin/policyd $(DESTDIR)$(sbindir)/policyd
	$(INSTALL) -m 755 $(BUILD)/bin/policydctl $(DESTDIR)$(sbindir)/policydctl
	$(INSTALL) -m 644 etc/policyd.conf $(DESTDIR)$(sysconfdir)/policyd/policyd.conf
	$(INSTALL) -m 644 etc/policyd.service $(DESTDIR)$(prefix)/lib/systemd/system/policyd.service
	$(INSTALL) -m 644 man/policyd.8 $(DESTDIR)$(mandir)/man8/policyd.8
	$(INSTALL) -m 644 man/policydctl.8 $(DESTDIR)$(mandir)/man8/policydctl.8
	$(INSTALL) -m 644 man/policyd.conf.5 $(DESTDIR)$(mandir)/man5/policyd.conf.5

lint:
	mandoc -T lint -W warning man/*.[58]
	clang-format --dry-run lib/*.[ch] policyd/*.c 2>&1 | head -50

clean:
	rm -rf build build-asan run

-include $(LIB_OBJS:.o=.d) $(BUILD)/policyd/main.d $(BUILD)/t/testutil.d \
	$(TESTS:%=$(BUILD)/t/%.d) $(BUILD)/t/bench/loadgen.d \
	$(BUILD)/t/bench/nullserver.d $(BUILD)/t/bench/storebench.d
