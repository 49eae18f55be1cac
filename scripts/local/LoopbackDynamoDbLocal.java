import java.io.IOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local as DynamoDBLocal.jar runs it (same arguments), with two differences, for
 * scripts/local/dynamodb-local.ts, which runs this file with `java` (source-file mode):
 * - it listens on `-host` (127.0.0.1 unless told otherwise) instead of every interface: the jar
 *   has no option for that, and its Jetty server is reached through the proxy's private field;
 * - it exits when its standard input closes, so it cannot outlive the process that started it,
 *   however that process ends (even killed with SIGKILL, its end of the pipe closes).
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("-host") && i + 1 < args.length) host = args[++i];
      else rest.add(args[i]);
    }
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(rest.toArray(new String[0]));
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    for (Connector connector : jetty.getConnectors()) ((ServerConnector) connector).setHost(host);

    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Nothing is ever sent; only the end of the stream matters.
        }
      } catch (IOException error) {
        // A broken pipe means the same: whoever started us is gone.
      }
      System.exit(0);
    });
    parentWatch.setDaemon(true);
    parentWatch.start();
    proxy.start();
  }
}
