/* kf-cli-complete.c: what Tab offers at the keyferry> prompt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The commands; after `conn`, the ids of the waiting peers (typing the
 * start of a name offers that peer's id too); after `conn <id>`, the modes.
 * Pure: the line editor (kf-cli-readline.c) asks, this file answers.
 */

#include "config.h"

#include <string.h>

#include "kf-cli-complete.h"
#include "kf-peer.h"

static const char * const commands[] = { "wait", "send", "conn", "cancel", "end", "help", NULL };
static const char * const modes[] = { "cbc", "cfb", NULL };

static void
complete_from (const char * const *choices,
               const char         *word,
               GStrvBuilder       *words,
               GStrvBuilder       *labels)
{
  for (guint i = 0; choices[i] != NULL; i++)
    if (g_str_has_prefix (choices[i], word))
      {
        g_strv_builder_add (words, choices[i]);
        g_strv_builder_add (labels, choices[i]);
      }
}

/* A peer matches by the start of its id, or by the start of its name in
 * any case; either way what is inserted is the id, which conn takes. */
static void
complete_peers (GListModel   *peers,
                const char   *word,
                GStrvBuilder *words,
                GStrvBuilder *labels)
{
  g_autofree char *folded_word = g_utf8_casefold (word, -1);
  guint n = peers ? g_list_model_get_n_items (peers) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KfPeer) peer = g_list_model_get_item (peers, i);
      g_autofree char *id = g_strdup_printf ("%u", kf_peer_get_id (peer));
      g_autofree char *folded_name = g_utf8_casefold (kf_peer_get_name (peer), -1);
      g_autofree char *label = g_strdup_printf ("%s (%s)", id, kf_peer_get_name (peer));

      if (g_str_has_prefix (id, word) || (*word != '\0' && g_str_has_prefix (folded_name, folded_word)))
        {
          g_strv_builder_add (words, id);
          g_strv_builder_add (labels, label);
        }
    }
}

/*
 * kf_cli_complete_command:
 * @before: the line before the word being completed
 * @word: the start of that word, maybe empty
 * @peers: (nullable): the waiting peers (#KfPeer) as last listed
 * @words: (out): what may replace @word, NULL-terminated, maybe empty
 * @labels: (out): the same, as a list shows them ("3 (alice)")
 *
 * Answers Tab at the prompt.
 */
void
kf_cli_complete_command (const char  *before,
                         const char  *word,
                         GListModel  *peers,
                         GStrv       *words,
                         GStrv       *labels)
{
  g_autoptr(GStrvBuilder) word_builder = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) label_builder = g_strv_builder_new ();
  g_auto(GStrv) typed = g_strsplit_set (before, " \t", -1);
  g_autoptr(GPtrArray) done = g_ptr_array_new ();

  for (guint i = 0; typed[i] != NULL; i++)
    if (*typed[i] != '\0')
      g_ptr_array_add (done, typed[i]);

  if (done->len == 0)
    complete_from (commands, word, word_builder, label_builder);
  else if (g_str_equal (done->pdata[0], "conn") && done->len == 1)
    complete_peers (peers, word, word_builder, label_builder);
  else if (g_str_equal (done->pdata[0], "conn") && done->len == 2)
    complete_from (modes, word, word_builder, label_builder);

  *words = g_strv_builder_end (word_builder);
  *labels = g_strv_builder_end (label_builder);
}
