# mpm-cxx: three Apache httpd 2.4 MPMs in C++.
#
#   make            build the modules into build/modules/
#   make test       install missing dependencies, build, run unit + integration tests (README's test command)
#   make run        install missing dependencies, build, run apache2 in the foreground with our MPM
#                   on 127.0.0.1:8080 (MPM=prefork_cxx by default; MPM=prefork runs the stock twin)
#   make unit       build and run the CppUTest unit tests only
#   make sanitize   unit + integration tests of our MPMs with ASan+UBSan builds
#   make sanitize-thread  the same with ThreadSanitizer, for the threaded MPMs
#   make install    install the modules into `apxs -q LIBEXECDIR` (honours DESTDIR)
#
# apxs cannot compile C++, so we ask it for its flags and compile and link with g++ ourselves.

APXS      ?= apxs
CXX       ?= g++
MPM       ?= prefork_cxx
DESTDIR   ?=

# Recursive (=) on purpose: apxs may not be installed until `make test` / `make run` installed it.
APXS_INC    = $(shell $(APXS) -q INCLUDEDIR)
APXS_CPP    = $(shell $(APXS) -q CPPFLAGS) $(shell $(APXS) -q EXTRA_CPPFLAGS)
APR_INC     = $(shell apr-1-config --includes)
LIBEXECDIR  = $(shell $(APXS) -q LIBEXECDIR)

BUILD     := build
OBJ       := $(BUILD)/obj
MODOUT    := $(BUILD)/modules

# SAN=1 builds an ASan+UBSan flavour into build/san/ (see `make sanitize`).
ifeq ($(SAN),1)
OBJ       := $(BUILD)/san/obj
MODOUT    := $(BUILD)/san/modules
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifeq ($(SAN),thread)
OBJ       := $(BUILD)/tsan/obj
MODOUT    := $(BUILD)/tsan/modules
SANFLAGS  := -fsanitize=thread -fno-omit-frame-pointer
endif

WARN      := -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers
# -fno-gnu-unique: otherwise g++ marks some statics STB_GNU_UNIQUE and dlclose() becomes a no-op, so the
# module would survive httpd's unload/reload on restart. Hidden visibility + a version script export only
# the module struct.
CXXSTD    := -std=c++20 -O2 -g -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -fno-gnu-unique \
             -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(WARN) $(SANFLAGS)
# The empty AP_HAVE_DESIGNATED_INITIALIZER makes http_config.h declare cmd_func as the union of handler
# types (C++20 has designated initializers), so the stock AP_INIT_* and LISTEN_COMMANDS macros compile.
HTTPD_CPP  = -DAP_HAVE_DESIGNATED_INITIALIZER= $(APXS_CPP) -I$(APXS_INC) $(APR_INC)
INCLUDES  := -I.

# Pure logic (no httpd or APR headers): shared by the modules and the unit tests.
include common/pure.mk
# httpd-facing parts of the shared library.
COMMON_HTTPD_SRCS := $(filter-out $(COMMON_PURE_SRCS),$(wildcard common/*/*.cpp))

MPMS      := prefork_cxx worker_cxx event_cxx
MODULES   := $(foreach m,$(MPMS),$(MODOUT)/mod_mpm_$(m).so)

.PHONY: all test run unit sanitize sanitize-thread install clean deps check-symbols bench deb package-test reliability valgrind-parent
all: $(MODULES)

deps:
	@build/deps.sh

MPM_SRCS  := $(wildcard mod_mpm_*/*.cpp)
PURE_OBJS  = $(COMMON_PURE_SRCS:%.cpp=$(OBJ)/%.o)
HTTPD_OBJS = $(COMMON_HTTPD_SRCS:%.cpp=$(OBJ)/%.o)
MPM_OBJS   = $(MPM_SRCS:%.cpp=$(OBJ)/%.o)

# Pure sources are compiled without the httpd include paths, which keeps them honest.
$(PURE_OBJS): $(OBJ)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(INCLUDES) -MMD -MP -c $< -o $@

$(HTTPD_OBJS) $(MPM_OBJS): $(OBJ)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(INCLUDES) $(HTTPD_CPP) -MMD -MP -c $< -o $@

$(OBJ)/libmpmcxx.a: $(PURE_OBJS) $(HTTPD_OBJS)
	@rm -f $@
	ar rcs $@ $^

define mpm_module
$(MODOUT)/mod_mpm_$(1).so: $(patsubst %.cpp,$(OBJ)/%.o,$(wildcard mod_mpm_$(1)/*.cpp)) $(OBJ)/libmpmcxx.a build/exports.map.in
	@mkdir -p $$(dir $$@)
	sed 's/@MODULE@/mpm_$(1)_module/' build/exports.map.in > $(OBJ)/mod_mpm_$(1).map
	$$(CXX) -shared $$(SANFLAGS) -Wl,--version-script=$(OBJ)/mod_mpm_$(1).map -Wl,-z,relro -Wl,-z,now \
	    -o $$@ $$(filter %.o,$$^) $(OBJ)/libmpmcxx.a
endef
$(foreach m,$(MPMS),$(eval $(call mpm_module,$(m))))

# ---- tests ------------------------------------------------------------------------------------------
UNIT_SRCS  := $(wildcard t/unit/*.cpp)
UNIT_BIN   := $(BUILD)/unit/unit-tests$(if $(SANFLAGS),-$(SAN),)
CPPUTEST   = $(shell pkg-config --cflags --libs cpputest 2>/dev/null || echo -lCppUTest -lCppUTestExt)

$(UNIT_BIN): $(UNIT_SRCS) $(PURE_OBJS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(INCLUDES) -pthread -o $@ $(UNIT_SRCS) $(PURE_OBJS) $(CPPUTEST)

unit: $(UNIT_BIN)
	$(UNIT_BIN)

check-symbols: $(MODULES)
	build/check-symbols.sh $(MODULES)

# The README's test command. Installs what is missing, builds, runs everything, ends with "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@build/run-tests.sh

# Unit tests and our MPMs' integration suites with ASan+UBSan builds (apache2 gets the runtime preloaded
# by build/sanitized-apache2.sh); any sanitizer report fails the run.
SAN_MPMS ?= $(MPMS)
sanitize: deps
	@$(MAKE) --no-print-directory SAN=1 all $(BUILD)/unit/unit-tests-1
	@SAN=1 TEST_MPMS="$(SAN_MPMS)" build/run-tests.sh

# ThreadSanitizer over the unit tests and the threaded MPMs' integration suites.
TSAN_MPMS ?= $(filter-out prefork_cxx,$(MPMS))
sanitize-thread: deps
	@$(MAKE) --no-print-directory SAN=thread all $(BUILD)/unit/unit-tests-thread
	@SAN=thread TEST_MPMS="$(TSAN_MPMS)" build/run-tests.sh

# A/B benchmark of ours against the stock MPMs (bench/run --help for the options), e.g.
#   make bench BENCH_ARGS="--mpm event --rounds 3"
BENCH_ARGS ?=
bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run $(BENCH_ARGS)

# Debian packages of the three modules (into build/deb/), and the test of the installed package on
# Debian's own /etc/apache2 setup (root; part of `make test` when root).
deb:
	@t/package/build-deb.sh

package-test:
	@t/package/run

# The reliability suite (faults, restart storms, exhaustion, bad clients, bad configuration, security) for
# every MPM, full-size figures (RELIABILITY_FULL=0: the reduced ones, which `make test` runs).
reliability: deps
	@$(MAKE) --no-print-directory all
	@MPMCXX_RELIABILITY=1 MPMCXX_RELIABILITY_FULL=$(or $(RELIABILITY_FULL),1) \
		TEST_MPMS="$(or $(RELIABILITY_MPMS),prefork_cxx prefork worker_cxx worker event_cxx event)" \
		TEST_DIRS="t/reliability t/root t/config/bad_config.t" build/run-tests.sh

# The parent under valgrind across graceful restarts (not in `make test`: slow).
valgrind-parent: all
	@t/reliability/valgrind-parent.sh

run: deps
	@$(MAKE) --no-print-directory all
	@build/run.sh $(MPM)

install: $(MODULES)
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 644 $(MODULES) $(DESTDIR)$(LIBEXECDIR)/

clean:
	rm -rf $(BUILD)/obj $(BUILD)/modules $(BUILD)/unit $(BUILD)/san $(BUILD)/tsan $(BUILD)/run $(BUILD)/test-run

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
