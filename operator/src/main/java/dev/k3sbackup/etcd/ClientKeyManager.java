package dev.k3sbackup.etcd;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The one client key and its chain, handed to TLS as they were read from {@code --key} and
 * {@code --cert}. A {@code KeyStore} in between (what {@code KeyManagerFactory} and netty's
 * {@code SslContextBuilder.keyManager(key, chain)} use) encrypts the key with PBKDF2 to store it
 * and again to read it back: 10,000 rounds of HMAC each way, interpreted and then compiled by C2,
 * about 0.3 CPU-seconds of every save for a key that never leaves this process (profiled with
 * JFR, issue 13). The peer decides whether the pair is good; this only presents it.
 */
final class ClientKeyManager extends X509ExtendedKeyManager {

  private static final String ALIAS = "client";

  private final PrivateKey key;
  private final X509Certificate[] chain;

  ClientKeyManager(PrivateKey key, X509Certificate[] chain) {
    this.key = key;
    this.chain = chain.clone();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers,
      SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? chain.clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? key : null;
  }
}
