# Sources in common/ that include no httpd or APR header: they hold the decisions (clamping, maintenance,
# back-off, state machines) and are unit-tested on their own. The Makefile compiles them without the httpd
# include paths, so a stray #include of an httpd header here fails the build.
COMMON_PURE_SRCS := \
    common/base/strformat.cpp \
    common/config/parse_int.cpp \
    common/config/prefork_limits.cpp \
    common/config/thread_limits.cpp \
    common/config/async_factor.cpp \
    common/io/request_head.cpp \
    common/listen/bucket_relief.cpp \
    common/lifecycle/server_command.cpp \
    common/supervise/prefork_maintenance.cpp \
    common/supervise/threaded_maintenance.cpp
