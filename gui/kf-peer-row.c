/* kf-peer-row.c: one waiting peer in the Send list; files and folders can be dropped on it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-peer-row.h"
#include "kf-send-files.h"

struct _KfPeerRow
{
  AdwActionRow parent_instance;

  GtkWidget   *chosen_image;
  GtkWidget   *contact_image;

  guint        peer_id;
  char        *peer_name;
  gboolean     show_id;
  KfContactCheck contact;
  char        *code;          /* the peer's identity code, when known */
};

enum {
  PROP_0,
  PROP_PEER_ID,
  PROP_PEER_NAME,
  N_PROPS
};

enum {
  FILES_DROPPED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KfPeerRow, kf_peer_row, ADW_TYPE_ACTION_ROW)

static void update_subtitle (KfPeerRow *self);

/* Files and folders dropped on the row: ::files-dropped. */
static gboolean
on_files_dropped (GPtrArray *files,
                  gpointer   user_data)
{
  g_signal_emit (user_data, signals[FILES_DROPPED], 0, files);
  return TRUE;
}

static void
kf_peer_row_constructed (GObject *object)
{
  KfPeerRow *self = KF_PEER_ROW (object);

  G_OBJECT_CLASS (kf_peer_row_parent_class)->constructed (object);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), self->peer_name);
  update_subtitle (self);
}

static void
kf_peer_row_finalize (GObject *object)
{
  KfPeerRow *self = KF_PEER_ROW (object);

  g_clear_pointer (&self->peer_name, g_free);
  g_clear_pointer (&self->code, g_free);

  G_OBJECT_CLASS (kf_peer_row_parent_class)->finalize (object);
}

static void
kf_peer_row_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  KfPeerRow *self = KF_PEER_ROW (object);

  switch (prop_id)
    {
    case PROP_PEER_ID:
      g_value_set_uint (value, self->peer_id);
      break;
    case PROP_PEER_NAME:
      g_value_set_string (value, self->peer_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_peer_row_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  KfPeerRow *self = KF_PEER_ROW (object);

  switch (prop_id)
    {
    case PROP_PEER_ID:
      self->peer_id = g_value_get_uint (value);
      break;
    case PROP_PEER_NAME:
      self->peer_name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_peer_row_class_init (KfPeerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = kf_peer_row_constructed;
  object_class->finalize = kf_peer_row_finalize;
  object_class->get_property = kf_peer_row_get_property;
  object_class->set_property = kf_peer_row_set_property;

  properties[PROP_PEER_ID] =
    g_param_spec_uint ("peer-id", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER_NAME] =
    g_param_spec_string ("peer-name", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KfPeerRow::files-dropped:
   * @files: (element-type GFile): the dropped files and folders
   *
   * Files were dropped on this row: send them to this peer.
   */
  signals[FILES_DROPPED] =
    g_signal_new ("files-dropped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-peer-row.ui");
  gtk_widget_class_bind_template_child (widget_class, KfPeerRow, chosen_image);
  gtk_widget_class_bind_template_child (widget_class, KfPeerRow, contact_image);
}

static void
kf_peer_row_init (KfPeerRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_add_controller (GTK_WIDGET (self),
                             GTK_EVENT_CONTROLLER (kf_send_files_drop_target_new (on_files_dropped,
                                                                                  self)));
}

/* Returns a new row for the waiting peer @peer_id called @peer_name. */
GtkWidget *
kf_peer_row_new (guint       peer_id,
                 const char *peer_name)
{
  return g_object_new (KF_TYPE_PEER_ROW,
                       "peer-id", peer_id,
                       "peer-name", peer_name,
                       NULL);
}

guint
kf_peer_row_get_peer_id (KfPeerRow *self)
{
  g_return_val_if_fail (KF_IS_PEER_ROW (self), 0);
  return self->peer_id;
}

const char *
kf_peer_row_get_peer_name (KfPeerRow *self)
{
  g_return_val_if_fail (KF_IS_PEER_ROW (self), NULL);
  return self->peer_name;
}

/* Marks this row as the one the file goes to (a check mark, and the
 * selected state for screen readers). */
void
kf_peer_row_set_chosen (KfPeerRow *self,
                        gboolean   chosen)
{
  g_return_if_fail (KF_IS_PEER_ROW (self));

  gtk_widget_set_visible (self->chosen_image, chosen);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_SELECTED, chosen, -1);
}

gboolean
kf_peer_row_get_chosen (KfPeerRow *self)
{
  g_return_val_if_fail (KF_IS_PEER_ROW (self), FALSE);
  return gtk_widget_get_visible (self->chosen_image);
}

/* The subtitle: what the contacts say of this peer, and its number where
 * two waiting people share a name; the description for screen readers
 * says the same in full. */
static void
update_subtitle (KfPeerRow *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *description = NULL;

  if (self->contact == KF_CONTACT_CHANGED)
    /* Translators: the name of a waiting peer */
    g_string_printf (text, _("Identity changed: not the %s you know"), self->peer_name);
  else if (self->contact == KF_CONTACT_KNOWN && self->code != NULL)
    /* Translators: an identity code, ABCD-EFGH-IJKL-MNOP */
    g_string_printf (text, _("Contact · %s"), self->code);
  if (self->show_id)
    g_string_append_printf (text, "%s#%u", text->len > 0 ? " · " : "", self->peer_id);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), text->str);

  description = self->contact == KF_CONTACT_CHANGED
                ? g_strdup_printf (_("Warning: %s is not the person you exchanged files with "
                                     "under this name: their identity changed. Send only if "
                                     "they told you so."), self->peer_name)
                : g_strdup (_("Select to send to this person, or drop files here"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
}

/*
 * kf_peer_row_set_show_id:
 *
 * Shows the peer's number under the name: only needed, and only done,
 * where two waiting people share a name.
 */
void
kf_peer_row_set_show_id (KfPeerRow *self,
                         gboolean   show_id)
{
  g_return_if_fail (KF_IS_PEER_ROW (self));

  self->show_id = show_id;
  update_subtitle (self);
}

/*
 * kf_peer_row_set_contact:
 * @code: (nullable): the peer's identity code
 *
 * Marks the row with what the contacts say of this peer
 * (kf_contacts_check()): a known contact (a shield and its identity
 * code), a new person (nothing), or someone else under a contact's name
 * (a warning in red).
 */
void
kf_peer_row_set_contact (KfPeerRow      *self,
                         KfContactCheck  check,
                         const char     *code)
{
  GtkImage *image;

  g_return_if_fail (KF_IS_PEER_ROW (self));

  image = GTK_IMAGE (self->contact_image);
  self->contact = check;
  g_free (self->code);
  self->code = g_strdup (code);
  gtk_widget_set_visible (self->contact_image, check != KF_CONTACT_NEW);
  gtk_image_set_from_icon_name (image, check == KF_CONTACT_CHANGED ? "dialog-warning-symbolic"
                                                                   : "security-high-symbolic");
  gtk_widget_set_tooltip_text (self->contact_image,
                               check == KF_CONTACT_CHANGED ? _("Identity changed")
                               : check == KF_CONTACT_KNOWN ? _("A contact") : NULL);
  if (check == KF_CONTACT_CHANGED)
    gtk_widget_add_css_class (GTK_WIDGET (self), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "error");
  update_subtitle (self);
}

KfContactCheck
kf_peer_row_get_contact (KfPeerRow *self)
{
  g_return_val_if_fail (KF_IS_PEER_ROW (self), KF_CONTACT_NEW);
  return self->contact;
}
