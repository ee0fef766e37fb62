build/tsan/obj/common/supervise/prefork_maintenance.o: \
 common/supervise/prefork_maintenance.cpp \
 common/supervise/prefork_maintenance.h common/supervise/spawn_pacer.h
common/supervise/prefork_maintenance.h:
common/supervise/spawn_pacer.h:
