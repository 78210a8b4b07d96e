/* kf-test-util.c: main-loop helpers the tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <glib/gstdio.h>

#include "kf-test-util.h"

/* kf_test_store_result: a GAsyncReadyCallback that keeps a reference to
 * the result in the GAsyncResult * that @user_data points to. */
void
kf_test_store_result (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* kf_test_wake_up: a timeout callback that only wakes the main loop, so
 * that a loop waiting for a condition rechecks its deadline. */
gboolean
kf_test_wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* kf_test_await_pointer: runs the default main context until *@ptr is
 * non-NULL; aborts the test after @seconds, naming @what it waited for. */
void
kf_test_await_pointer (gpointer   *ptr,
                       guint       seconds,
                       const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, kf_test_wake_up, NULL);

  while (*ptr == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

/* kf_test_iterate_until: runs the default main context until *@flag. */
void
kf_test_iterate_until (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

/* kf_test_drain_and_finalize: drops @object once the operations that
 * still hold it have been dispatched (a worker thread may drop its
 * reference just after its callback ran), and checks that it is then
 * finalized.  Bounded to 5 seconds. */
void
kf_test_drain_and_finalize (gpointer object)
{
  gpointer weak = object;
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  while (weak != NULL && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_null (weak);
}

/* kf_test_remove_tree: deletes @path, a file or a folder with everything
 * below it (a test's temporary directory).  Errors are ignored. */
void
kf_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      kf_test_remove_tree (child);
    }
  g_rmdir (path);
}

/* kf_test_tmp_file_init: makes a fresh temporary folder from @tmpl (see
 * g_dir_make_tmp()) in f->dir and sets f->path to the path below it that
 * @first_element and the elements after it name. */
void
kf_test_tmp_file_init (KfTestTmpFile *f,
                       const char    *tmpl,
                       const char    *first_element,
                       ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *below = NULL;
  va_list args;

  f->dir = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  va_start (args, first_element);
  below = g_build_filename_valist (first_element, &args);
  va_end (args);
  f->path = g_build_filename (f->dir, below, NULL);
}

/* kf_test_tmp_file_clear: deletes f->dir with everything in it and frees
 * @f's strings; a GTest fixture teardown. */
void
kf_test_tmp_file_clear (KfTestTmpFile *f,
                        gconstpointer  data)
{
  kf_test_remove_tree (f->dir);
  g_clear_pointer (&f->dir, g_free);
  g_clear_pointer (&f->path, g_free);
}

/* kf_test_resident_bytes: how many bytes of the file at @path are in the
 * page cache (mincore). */
guint64
kf_test_resident_bytes (const char *path)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  g_autofree unsigned char *vec = NULL;
  guint64 resident = 0;
  struct stat st;
  gsize pages;
  void *map;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  if (st.st_size == 0)
    {
      close (fd);
      return 0;
    }
  pages = ((gsize) st.st_size + page - 1) / page;
  vec = g_malloc (pages);
  map = mmap (NULL, (gsize) st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  g_assert_true (map != MAP_FAILED);
  g_assert_cmpint (mincore (map, (gsize) st.st_size, vec), ==, 0);
  for (gsize i = 0; i < pages; i++)
    resident += vec[i] & 1 ? page : 0;
  munmap (map, (gsize) st.st_size);
  close (fd);
  return resident;
}

/* kf_test_on_tmpfs: whether @path is on tmpfs, which has no writeback. */
gboolean
kf_test_on_tmpfs (const char *path)
{
  struct statfs fs;

  return statfs (path, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}
