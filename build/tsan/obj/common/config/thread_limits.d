build/tsan/obj/common/config/thread_limits.o: \
 common/config/thread_limits.cpp common/config/thread_limits.h \
 common/config/clamp_message.h common/base/strformat.h
common/config/thread_limits.h:
common/config/clamp_message.h:
common/base/strformat.h:
