build/tsan/obj/common/config/prefork_limits.o: \
 common/config/prefork_limits.cpp common/config/prefork_limits.h \
 common/config/clamp_message.h common/base/strformat.h
common/config/prefork_limits.h:
common/config/clamp_message.h:
common/base/strformat.h:
