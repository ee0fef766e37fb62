build/tsan/obj/common/supervise/threaded_maintenance.o: \
 common/supervise/threaded_maintenance.cpp \
 common/supervise/threaded_maintenance.h common/supervise/spawn_pacer.h
common/supervise/threaded_maintenance.h:
common/supervise/spawn_pacer.h:
