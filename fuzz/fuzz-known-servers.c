/* fuzz-known-servers.c: the known-servers file, however it was edited
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: the file's contents.  The store loads it (a file the user or
 * another program may have damaged), answers lookups, pins a server, and
 * writes the file back; reloaded, it must still know that pin, and a
 * second load of its own output must give the same file again (what the
 * store keeps verbatim stays verbatim).
 *
 * The store only reads a path, so each input is written to one file in a
 * private temporary directory, made once per process.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kf-fuzz.h"
#include "kf-known-servers.h"

#define FP "SHA256:" \
  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *store_dir;
static char *store_file;

/* Removes the temporary directory at exit (the store leaves no other
 * file: it writes atomically, by rename). */
static void
remove_store (void)
{
  g_unlink (store_file);
  g_rmdir (store_dir);
}

static const char *
store_path (void)
{
  if (store_file == NULL)
    {
      g_autoptr(GError) error = NULL;

      store_dir = g_dir_make_tmp ("kf-fuzz-known-XXXXXX", &error);
      g_assert_no_error (error);
      store_file = g_build_filename (store_dir, "known-servers", NULL);
      atexit (remove_store);
    }
  return store_file;
}

static char *
read_back (const char *path)
{
  char *contents = NULL;

  kf_fuzz_check (g_file_get_contents (path, &contents, NULL, NULL), "the store's file reads back");
  return contents;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  const char *path = store_path ();
  g_autoptr(KfKnownServers) store = kf_known_servers_new (path);
  g_autoptr(KfKnownServers) again = kf_known_servers_new (path);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const char *pinned;

  kf_fuzz_check (g_file_set_contents (path, (const char *) data, (gssize) size, NULL),
                 "the input is written");
  if (!kf_known_servers_load (store, NULL))
    return 0;
  kf_known_servers_lookup (store, "km.example", 7745);
  kf_known_servers_lookup (store, "::1", 7745);
  kf_known_servers_lookup (store, "127.0.0.1", 1);

  kf_fuzz_check (kf_known_servers_add (store, "fuzz.example", 7745, FP, NULL), "a pin is added");
  first = read_back (path);
  kf_fuzz_check (kf_known_servers_load (again, NULL), "the store loads its own file");
  pinned = kf_known_servers_lookup (again, "fuzz.example", 7745);
  kf_fuzz_check (pinned != NULL, "a pin survives a reload");
  kf_fuzz_check (kf_known_servers_remove (again, "fuzz.example", 7745, NULL), "a pin is removed");
  kf_fuzz_check (kf_known_servers_lookup (again, "fuzz.example", 7745) == NULL, "a removed pin is gone");
  kf_fuzz_check (kf_known_servers_add (again, "fuzz.example", 7745, FP, NULL), "a pin is added again");
  second = read_back (path);
  kf_fuzz_check (strcmp (first, second) == 0, "saving is stable across a reload");

  return 0;
}
