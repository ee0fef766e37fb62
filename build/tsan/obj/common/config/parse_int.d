build/tsan/obj/common/config/parse_int.o: common/config/parse_int.cpp \
 common/config/parse_int.h
common/config/parse_int.h:
