build/tsan/obj/common/supervise/supervisor.o: \
 common/supervise/supervisor.cpp common/supervise/supervisor.h \
 common/base/httpd.h /usr/include/apr-1.0/apr.h \
 /usr/include/apr-1.0/apr_pools.h /usr/include/apr-1.0/apr.h \
 /usr/include/apr-1.0/apr_errno.h /usr/include/apr-1.0/apr_general.h \
 /usr/include/apr-1.0/apr_pools.h /usr/include/apr-1.0/apr_want.h \
 /usr/include/apr-1.0/apr_allocator.h \
 /usr/include/apr-1.0/apr_thread_mutex.h /usr/include/apr-1.0/apr_time.h \
 /usr/include/apr-1.0/apr_portable.h \
 /usr/include/apr-1.0/apr_thread_proc.h \
 /usr/include/apr-1.0/apr_file_io.h /usr/include/apr-1.0/apr_file_info.h \
 /usr/include/apr-1.0/apr_user.h /usr/include/apr-1.0/apr_tables.h \
 /usr/include/apr-1.0/apr_inherit.h /usr/include/apr-1.0/apr_perms_set.h \
 /usr/include/apr-1.0/apr_network_io.h \
 /usr/include/apr-1.0/apr_global_mutex.h \
 /usr/include/apr-1.0/apr_proc_mutex.h /usr/include/apr-1.0/apr_dso.h \
 /usr/include/apr-1.0/apr_shm.h /usr/include/apr-1.0/apr_signal.h \
 /usr/include/apr-1.0/apr_strings.h \
 /usr/include/apr-1.0/apr_thread_proc.h /usr/include/apache2/httpd.h \
 /usr/include/apache2/ap_config.h /usr/include/apache2/ap_hooks.h \
 /usr/include/apr-1.0/apr_hooks.h /usr/include/apr-1.0/apu.h \
 /usr/include/apr-1.0/apr_optional_hooks.h /usr/include/apache2/os.h \
 /usr/include/apache2/ap_config_auto.h \
 /usr/include/apache2/ap_config_layout.h \
 /usr/include/apache2/apache_noprobes.h /usr/include/apache2/ap_mmn.h \
 /usr/include/apache2/ap_release.h /usr/include/apr-1.0/apr_version.h \
 /usr/include/apr-1.0/apr_general.h /usr/include/apr-1.0/apr_tables.h \
 /usr/include/apr-1.0/apr_time.h /usr/include/apr-1.0/apr_network_io.h \
 /usr/include/apr-1.0/apr_buckets.h /usr/include/apr-1.0/apr_mmap.h \
 /usr/include/apr-1.0/apr_ring.h /usr/include/apr-1.0/apr_poll.h \
 /usr/include/apache2/ap_regex.h /usr/include/apr-1.0/apr_uri.h \
 /usr/include/apache2/http_config.h /usr/include/apache2/util_cfgtree.h \
 /usr/include/apache2/http_connection.h /usr/include/apache2/http_core.h \
 /usr/include/apr-1.0/apr_hash.h /usr/include/apr-1.0/apr_optional.h \
 /usr/include/apache2/util_filter.h /usr/include/apache2/httpd.h \
 /usr/include/apache2/ap_expr.h /usr/include/apache2/http_config.h \
 /usr/include/apache2/http_log.h /usr/include/apache2/http_main.h \
 /usr/include/apache2/http_protocol.h /usr/include/apr-1.0/apr_mmap.h \
 /usr/include/apache2/ap_listen.h /usr/include/apache2/ap_mmn.h \
 /usr/include/apache2/ap_mpm.h /usr/include/apache2/scoreboard.h \
 /usr/include/apr-1.0/apr_shm.h /usr/include/apache2/mpm_common.h \
 /usr/include/apache2/ap_mpm.h /usr/include/apr-1.0/apr_proc_mutex.h \
 /usr/include/apache2/scoreboard.h /usr/include/apache2/unixd.h \
 /usr/include/apache2/ap_listen.h /usr/include/apr-1.0/apr_global_mutex.h \
 /usr/include/apache2/util_mutex.h common/lifecycle/server_command.h \
 common/listen/buckets.h common/supervise/backoff.h \
 common/supervise/spawn_pacer.h common/base/log_ids.h \
 common/scoreboard/scoreboard.h common/supervise/drain_deadline.h \
 common/supervise/reclaim_schedule.h
common/supervise/supervisor.h:
common/base/httpd.h:
/usr/include/apr-1.0/apr.h:
/usr/include/apr-1.0/apr_pools.h:
/usr/include/apr-1.0/apr.h:
/usr/include/apr-1.0/apr_errno.h:
/usr/include/apr-1.0/apr_general.h:
/usr/include/apr-1.0/apr_pools.h:
/usr/include/apr-1.0/apr_want.h:
/usr/include/apr-1.0/apr_allocator.h:
/usr/include/apr-1.0/apr_thread_mutex.h:
/usr/include/apr-1.0/apr_time.h:
/usr/include/apr-1.0/apr_portable.h:
/usr/include/apr-1.0/apr_thread_proc.h:
/usr/include/apr-1.0/apr_file_io.h:
/usr/include/apr-1.0/apr_file_info.h:
/usr/include/apr-1.0/apr_user.h:
/usr/include/apr-1.0/apr_tables.h:
/usr/include/apr-1.0/apr_inherit.h:
/usr/include/apr-1.0/apr_perms_set.h:
/usr/include/apr-1.0/apr_network_io.h:
/usr/include/apr-1.0/apr_global_mutex.h:
/usr/include/apr-1.0/apr_proc_mutex.h:
/usr/include/apr-1.0/apr_dso.h:
/usr/include/apr-1.0/apr_shm.h:
/usr/include/apr-1.0/apr_signal.h:
/usr/include/apr-1.0/apr_strings.h:
/usr/include/apr-1.0/apr_thread_proc.h:
/usr/include/apache2/httpd.h:
/usr/include/apache2/ap_config.h:
/usr/include/apache2/ap_hooks.h:
/usr/include/apr-1.0/apr_hooks.h:
/usr/include/apr-1.0/apu.h:
/usr/include/apr-1.0/apr_optional_hooks.h:
/usr/include/apache2/os.h:
/usr/include/apache2/ap_config_auto.h:
/usr/include/apache2/ap_config_layout.h:
/usr/include/apache2/apache_noprobes.h:
/usr/include/apache2/ap_mmn.h:
/usr/include/apache2/ap_release.h:
/usr/include/apr-1.0/apr_version.h:
/usr/include/apr-1.0/apr_general.h:
/usr/include/apr-1.0/apr_tables.h:
/usr/include/apr-1.0/apr_time.h:
/usr/include/apr-1.0/apr_network_io.h:
/usr/include/apr-1.0/apr_buckets.h:
/usr/include/apr-1.0/apr_mmap.h:
/usr/include/apr-1.0/apr_ring.h:
/usr/include/apr-1.0/apr_poll.h:
/usr/include/apache2/ap_regex.h:
/usr/include/apr-1.0/apr_uri.h:
/usr/include/apache2/http_config.h:
/usr/include/apache2/util_cfgtree.h:
/usr/include/apache2/http_connection.h:
/usr/include/apache2/http_core.h:
/usr/include/apr-1.0/apr_hash.h:
/usr/include/apr-1.0/apr_optional.h:
/usr/include/apache2/util_filter.h:
/usr/include/apache2/httpd.h:
/usr/include/apache2/ap_expr.h:
/usr/include/apache2/http_config.h:
/usr/include/apache2/http_log.h:
/usr/include/apache2/http_main.h:
/usr/include/apache2/http_protocol.h:
/usr/include/apr-1.0/apr_mmap.h:
/usr/include/apache2/ap_listen.h:
/usr/include/apache2/ap_mmn.h:
/usr/include/apache2/ap_mpm.h:
/usr/include/apache2/scoreboard.h:
/usr/include/apr-1.0/apr_shm.h:
/usr/include/apache2/mpm_common.h:
/usr/include/apache2/ap_mpm.h:
/usr/include/apr-1.0/apr_proc_mutex.h:
/usr/include/apache2/scoreboard.h:
/usr/include/apache2/unixd.h:
/usr/include/apache2/ap_listen.h:
/usr/include/apr-1.0/apr_global_mutex.h:
/usr/include/apache2/util_mutex.h:
common/lifecycle/server_command.h:
common/listen/buckets.h:
common/supervise/backoff.h:
common/supervise/spawn_pacer.h:
common/base/log_ids.h:
common/scoreboard/scoreboard.h:
common/supervise/drain_deadline.h:
common/supervise/reclaim_schedule.h:
