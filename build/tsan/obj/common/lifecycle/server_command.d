build/tsan/obj/common/lifecycle/server_command.o: \
 common/lifecycle/server_command.cpp common/lifecycle/server_command.h
common/lifecycle/server_command.h:
