build/tsan/obj/common/base/strformat.o: common/base/strformat.cpp \
 common/base/strformat.h
common/base/strformat.h:
