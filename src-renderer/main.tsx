/** Renderer entry: the app, or the timeline benchmark page (`?bench=timeline`). */
import { createRoot } from 'react-dom/client';

import { App } from './App.tsx';
import { TimelineBench } from './views/TimelineBench.tsx';
import './styles.css';

const bench = new URLSearchParams(location.search).get('bench');
createRoot(document.getElementById('root')!).render(bench === 'timeline' ? <TimelineBench /> : <App />);
