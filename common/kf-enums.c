/* kf-enums.c: GTypes for the plain enums of the cipher core
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * kf-cipher.h is plain GLib; its KfCipherMode gets its GType here so that
 * KfClient, KfOffer and KfOutcome can expose the mode as an enum property.
 */

#include "config.h"

#include "kf-cipher.h"
#include "kf-enums.h"

G_DEFINE_ENUM_TYPE (KfCipherMode, kf_cipher_mode,
                    G_DEFINE_ENUM_VALUE (KF_CIPHER_MODE_CBC, "cbc"),
                    G_DEFINE_ENUM_VALUE (KF_CIPHER_MODE_CFB, "cfb"))
