/* kf-server-cert.c: the key manager's self-signed TLS identity
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * On first start the server creates an ECDSA P-256 key and a self-signed
 * certificate with GnuTLS and writes them as PEM into its state directory:
 * server.key (mode 0600) and server.crt.  Later starts load the same files,
 * so the fingerprint clients pinned stays valid.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/crypto.h>

#include "kf-server-cert.h"

#define CERT_LIFETIME_DAYS (20 * 365)

static gboolean
gnutls_failed (GError     **error,
               int          ret,
               const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _("Could not create the server certificate (%s): %s"),
               what, gnutls_strerror (ret));
  return FALSE;
}

static gboolean
gnutls_datum_to_string (gnutls_datum_t  *datum,
                        char           **out)
{
  *out = g_strndup ((const char *) datum->data, datum->size);
  gnutls_free (datum->data);
  datum->data = NULL;
  return TRUE;
}

/* Fills in @crt: a v3 end-entity certificate for @key, signed by itself. */
static int
build_certificate (gnutls_x509_crt_t      crt,
                   gnutls_x509_privkey_t  key)
{
  guint8 serial[16];
  time_t now = time (NULL);
  int ret;

  gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  serial[0] &= 0x7f;  /* a positive serial number */

  if ((ret = gnutls_x509_crt_set_version (crt, 3)) < 0
      || (ret = gnutls_x509_crt_set_serial (crt, serial, sizeof serial)) < 0
      || (ret = gnutls_x509_crt_set_activation_time (crt, now - 24 * 3600)) < 0
      || (ret = gnutls_x509_crt_set_expiration_time (crt, now + (time_t) CERT_LIFETIME_DAYS * 24 * 3600)) < 0
      || (ret = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                               "keyferry-server", strlen ("keyferry-server"))) < 0
      || (ret = gnutls_x509_crt_set_key (crt, key)) < 0
      || (ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0
      || (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0
      || (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
    return ret;

  return gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0);
}

/* Creates a fresh key and certificate as PEM text. */
static gboolean
generate_pem (char    **cert_pem,
              char    **key_pem,
              GError  **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t out = { NULL, 0 };
  gboolean ok = FALSE;
  int ret;

  if ((ret = gnutls_x509_privkey_init (&key)) < 0
      || (ret = gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                              GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                              0)) < 0)
    {
      gnutls_failed (error, ret, "key");
      goto out;
    }
  if ((ret = gnutls_x509_crt_init (&crt)) < 0 || (ret = build_certificate (crt, key)) < 0)
    {
      gnutls_failed (error, ret, "certificate");
      goto out;
    }
  if ((ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out)) < 0)
    {
      gnutls_failed (error, ret, "export");
      goto out;
    }
  gnutls_datum_to_string (&out, cert_pem);
  if ((ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                GNUTLS_PKCS_PLAIN, &out)) < 0)
    {
      g_clear_pointer (cert_pem, g_free);
      gnutls_failed (error, ret, "key export");
      goto out;
    }
  *key_pem = g_strndup ((const char *) out.data, out.size);
  explicit_bzero (out.data, out.size);
  gnutls_free (out.data);
  ok = TRUE;

out:
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);
  return ok;
}

/* Writes a new certificate and key into @dir; the key first, so that a
 * certificate never exists without its key. */
static gboolean
create_files (const char  *cert_path,
              const char  *key_path,
              GError     **error)
{
  g_autofree char *cert_pem = NULL;
  char *key_pem = NULL;
  gboolean ok;

  if (!generate_pem (&cert_pem, &key_pem, error))
    return FALSE;
  ok = g_file_set_contents_full (key_path, key_pem, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, error)
       && g_file_set_contents_full (cert_path, cert_pem, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                    0644, error);
  explicit_bzero (key_pem, strlen (key_pem));
  g_free (key_pem);
  if (ok)
    g_message ("Created a new TLS certificate in %s", cert_path);

  return ok;
}

/* Makes sure the private key is readable by its owner only. */
static gboolean
check_key_mode (const char  *key_path,
                GError     **error)
{
  GStatBuf st;

  if (g_stat (key_path, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot read the server key %s: %s"), key_path, g_strerror (saved));
      return FALSE;
    }
  if ((st.st_mode & 077) != 0)
    {
      g_warning ("The server key %s was readable by others; restricting it to mode 0600",
                 key_path);
      if (g_chmod (key_path, 0600) != 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot restrict the server key %s to mode 0600: %s"),
                       key_path, g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

/*
 * kf_server_cert_load_or_create:
 * @state_dir: the server's state directory, created (0700) if missing
 *
 * Returns: (transfer full): the server's certificate with its private key,
 * loaded from @state_dir or created there on first use; %NULL with @error
 * when the directory cannot be created or the files cannot be read,
 * written or parsed.
 */
GTlsCertificate *
kf_server_cert_load_or_create (const char  *state_dir,
                               GError     **error)
{
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;

  g_return_val_if_fail (state_dir != NULL, NULL);

  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the state directory %s: %s"), state_dir,
                   g_strerror (saved));
      return NULL;
    }
  cert_path = g_build_filename (state_dir, "server.crt", NULL);
  key_path = g_build_filename (state_dir, "server.key", NULL);

  if (!g_file_test (cert_path, G_FILE_TEST_EXISTS) || !g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      if (!create_files (cert_path, key_path, error))
        return NULL;
    }
  if (!check_key_mode (key_path, error))
    return NULL;

  return g_tls_certificate_new_from_files (cert_path, key_path, error);
}
