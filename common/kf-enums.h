/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* GTypes for enums declared in headers that stay free of GObject, so that
 * they can be used as property types. */
#define KF_TYPE_CIPHER_MODE (kf_cipher_mode_get_type ())

GType kf_cipher_mode_get_type (void) G_GNUC_CONST;

G_END_DECLS
