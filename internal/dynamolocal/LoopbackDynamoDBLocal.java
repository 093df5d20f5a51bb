import java.lang.reflect.Field;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * Runs DynamoDB Local with its HTTP connector bound to 127.0.0.1, answering
 * only requests that carry the guard's token. DynamoDB Local builds its Jetty
 * server with a port only, which binds every interface, and offers no option
 * to change it; this creates the server as its own main does, sets the host
 * of each connector and wraps its handler before it starts. The token comes
 * from the environment (HUSH_GUARD_TOKEN), which other users cannot read, so
 * only the guard in front, which checks Host and signatures, can use this
 * port.
 */
public final class LoopbackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        String token = System.getenv("HUSH_GUARD_TOKEN");
        if (token == null || token.isEmpty()) {
            throw new IllegalStateException("HUSH_GUARD_TOKEN is not set");
        }
        Class<?> runner = Class.forName("software.amazon.dynamodb.services.local.main.ServerRunner");
        Object server = runner.getMethod("createServerFromCommandLineArgs", String[].class).invoke(null, (Object) args);
        int bound = 0;
        for (Field f : server.getClass().getDeclaredFields()) {
            if (!Server.class.isAssignableFrom(f.getType())) {
                continue;
            }
            f.setAccessible(true);
            Server jetty = (Server) f.get(server);
            for (Object connector : jetty.getConnectors()) {
                ((ServerConnector) connector).setHost("127.0.0.1");
                bound++;
            }
            jetty.setHandler(new Guard(jetty.getHandler(), token));
        }
        if (bound == 0) {
            throw new IllegalStateException("no Jetty connector found to bind to 127.0.0.1");
        }
        server.getClass().getMethod("start").invoke(server);
        server.getClass().getMethod("join").invoke(server);
    }

    /** Guard answers 403 to every request without the token. */
    static final class Guard extends Handler.Wrapper {
        private final byte[] token;

        Guard(Handler next, String token) {
            super(next);
            this.token = token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String got = request.getHeaders().get("X-Hush-Guard");
            if (got == null || !java.security.MessageDigest.isEqual(token, got.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                Response.writeError(request, response, callback, 403, "refused: use the guarded port");
                return true;
            }
            return super.handle(request, response, callback);
        }
    }
}
