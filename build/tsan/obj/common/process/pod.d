build/tsan/obj/common/process/pod.o: common/process/pod.cpp \
 common/process/pod.h common/base/fd.h
common/process/pod.h:
common/base/fd.h:
