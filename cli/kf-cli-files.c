/* kf-cli-files.c: several files and folders in words
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What keyferry-cli says about a transfer of a tree: the offer (how many
 * files, how much, the top-level names), the progress (the current file,
 * files done of all), each file as it lands, and the per-file list of the
 * result, in words and as JSON.  Paths from the sender were cleaned by
 * the engine (kf-manifest-parse.c) before they get here.
 */

#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>

#include "kf-cli-files.h"
#include "kf-untrusted.h"

/* "a, b, c and 3 more" from the offer's top-level names. */
static char *
top_level_list (KfOffer *offer)
{
  guint n_top = 0;
  const char * const *names = kf_offer_get_top_level (offer, &n_top);
  g_autofree char *joined = g_strjoinv (", ", (char **) names);
  guint shown = g_strv_length ((char **) names);

  if (n_top <= shown)
    return g_steal_pointer (&joined);
  /* Translators: a list of names, then how many more there are */
  return g_strdup_printf (ngettext ("%s and %u more", "%s and %u more", n_top - shown),
                          joined, n_top - shown);
}

/*
 * kf_cli_describe_tree_offer:
 *
 * Returns: (transfer full): the sentence that shows a tree's offer: the
 * sender, how many files and folders, the sizes, the mode and the
 * top-level names.  The JSON "offer" event is kf_cli_describe_offer()'s.
 */
char *
kf_cli_describe_tree_offer (KfOffer *offer)
{
  g_autofree char *plain = g_format_size_full (kf_offer_get_plain_size (offer),
                                               G_FORMAT_SIZE_LONG_FORMAT);
  g_autofree char *encrypted = g_format_size (kf_offer_get_encrypted_size (offer));
  g_autofree char *names = top_level_list (offer);
  g_autofree char *files = g_strdup_printf (ngettext ("%u file", "%u files",
                                                      kf_offer_get_n_files (offer)),
                                            kf_offer_get_n_files (offer));
  g_autofree char *folders = g_strdup_printf (ngettext ("%u folder", "%u folders",
                                                        kf_offer_get_n_folders (offer)),
                                              kf_offer_get_n_folders (offer));

  /* Translators: sender name, sender id, "N files", "N folders", plain
   * size, encrypted size, mode (CBC or CFB), the top-level names */
  return g_strdup_printf (_("%s (#%u) wants to send you %s in %s: %s, %s encrypted, %s.\n"
                            "What comes: %s"),
                          kf_offer_get_sender_name (offer), kf_offer_get_sender_id (offer),
                          files, folders, plain, encrypted,
                          kf_offer_get_mode (offer) == KF_CIPHER_MODE_CBC ? "CBC" : "CFB",
                          names);
}

/*
 * kf_cli_describe_files_progress:
 *
 * Returns: (transfer full): the progress line of a transfer of several
 * files: percent, the file in progress, files done of all, bytes, rate
 * and time left.
 */
char *
kf_cli_describe_files_progress (gboolean                  sending,
                                const KfTransferProgress *progress)
{
  g_autofree char *done_text = g_format_size (progress->done);
  g_autofree char *total_text = g_format_size (progress->total);
  g_autofree char *rate_text = g_format_size ((guint64) progress->bytes_per_second);
  guint64 total = progress->total;
  guint percent = total > 0 ? (guint) (MIN (progress->done, total) * 100 / total) : 100;
  guint64 left = progress->bytes_per_second > 0
                 ? (guint64) ((total - MIN (progress->done, total)) / progress->bytes_per_second)
                 : 0;
  const char *current = progress->current_file != NULL ? progress->current_file : "";

  return g_strdup_printf (sending
                          /* Translators: percent, files done, files in all, the current
                           * file, bytes done, bytes in all, rate, seconds left */
                          ? _("Sending: %u%%, file %u of %u (%s), %s of %s, %s/s, %" PRIu64 " s left")
                          : _("Receiving: %u%%, file %u of %u (%s), %s of %s, %s/s, %" PRIu64 " s left"),
                          percent, MIN (progress->files_done + 1, progress->files_total),
                          progress->files_total, current, done_text, total_text, rate_text, left);
}

static void
json_file (KfCliJson                  *json,
           const KfTransferFileResult *file)
{
  kf_cli_json_string (json, "path", file->path);
  if (file->offered_path != NULL)
    kf_cli_json_string (json, "offered_path", file->offered_path);
  kf_cli_json_string (json, "kind", file->is_folder ? "folder" : "file");
  kf_cli_json_uint (json, "size", file->size);
  kf_cli_json_uint (json, "blocks", file->blocks);
  kf_cli_json_string (json, "status", kf_transfer_file_status_to_string (file->status));
}

/*
 * kf_cli_report_landed:
 *
 * ::file-landed: one line (and a JSON "file" event) per file saved, held
 * and written with the next ones, within 100 ms.
 */
void
kf_cli_report_landed (KfClient                   *client,
                      const KfTransferFileResult *file)
{
  KfCliJson *json = kf_cli_json_begin ("file");
  g_autofree char *size = NULL;

  json_file (json, file);
  kf_cli_json_end_held (json);
  if (kf_client_get_role (client) != KF_CLIENT_ROLE_RECEIVER)
    return;
  size = g_format_size (file->size);
  if (file->offered_path != NULL)
    /* Translators: the path saved, its size, the path the sender offered */
    kf_cli_print_held (_("Received %s (%s), renamed from %s"), file->path, size,
                       file->offered_path);
  else
    kf_cli_print_held (_("Received %s (%s)"), file->path, size);
}

static gboolean
json_one_file (const KfTransferFileResult *file,
               gpointer                    user_data)
{
  KfCliJson *json = user_data;

  kf_cli_json_open (json, NULL, '{');
  json_file (json, file);
  kf_cli_json_close (json, '}');
  return TRUE;
}

/*
 * kf_cli_json_files:
 *
 * Adds "files": [ {path, offered_path, kind, size, blocks, status}… ] to
 * @json, each file of @outcome built only while it is written.
 */
void
kf_cli_json_files (KfCliJson *json,
                   KfOutcome *outcome)
{
  kf_cli_json_open (json, "files", '[');
  kf_outcome_foreach_file (outcome, json_one_file, json);
  kf_cli_json_close (json, ']');
}

/* What report_one_file() counts. */
typedef struct
{
  guint arrived;
  guint sent;
} FileCounts;

/* Says what was skipped or never arrived; counts what arrived or, for a
 * sender stopped half way, went whole. */
static gboolean
report_one_file (const KfTransferFileResult *file,
                 gpointer                    user_data)
{
  FileCounts *counts = user_data;
  g_autofree char *path = NULL;

  if (file->status == KF_TRANSFER_FILE_SENT)
    {
      counts->sent += file->is_folder ? 0 : 1;
      return TRUE;
    }
  if (file->status != KF_TRANSFER_FILE_SKIPPED && file->status != KF_TRANSFER_FILE_INCOMPLETE)
    {
      counts->arrived += file->is_folder ? 0 : 1;
      return TRUE;
    }
  path = kf_untrusted_clean (file->path, -1);
  if (file->status == KF_TRANSFER_FILE_SKIPPED)
    kf_cli_print (_("Skipped %s: only regular files and folders are sent, never links, devices, sockets or FIFOs."),
                  path);
  else
    kf_cli_print (_("Did not arrive: %s"), path);
  return TRUE;
}

/*
 * kf_cli_report_files:
 *
 * After a transfer of several files: what was skipped, renamed or never
 * arrived, one line each, and the count of those that arrived (or, for
 * a sender stopped half way, went whole).
 */
void
kf_cli_report_files (KfOutcome *outcome)
{
  FileCounts n = { 0 };

  kf_outcome_foreach_file (outcome, report_one_file, &n);
  if (!kf_outcome_get_is_tree (outcome))
    return;
  if (n.sent > 0)
    kf_cli_print (ngettext ("%u file was sent whole before the transfer stopped; the receiver keeps the ones it verified.",
                            "%u files were sent whole before the transfer stopped; the receiver keeps the ones it verified.",
                            n.sent), n.sent);
  else if (kf_outcome_get_is_sender (outcome))
    kf_cli_print (ngettext ("%u file delivered whole.", "%u files delivered whole.", n.arrived),
                  n.arrived);
  else
    kf_cli_print (ngettext ("%u file arrived whole.", "%u files arrived whole.", n.arrived),
                  n.arrived);
}

/*
 * kf_cli_parse_paths:
 * @line: paths as a shell would split them ('a b' "c d" e\ f)
 *
 * Returns: (transfer full) (element-type GFile): the files and folders
 * named, each existing, or %NULL with an error that names the first that
 * does not, or says the quoting is unbalanced.
 */
GPtrArray *
kf_cli_parse_paths (const char  *line,
                    GError     **error)
{
  g_auto(GStrv) argv = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  if (!g_shell_parse_argv (line, NULL, &argv, error))
    return NULL;
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (argv[i]);
      GFileType type = g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL);

      if (type != G_FILE_TYPE_REGULAR && type != G_FILE_TYPE_DIRECTORY)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("“%s” is not a readable file or folder"), argv[i]);
          return NULL;
        }
      g_ptr_array_add (files, g_steal_pointer (&file));
    }
  return g_steal_pointer (&files);
}
